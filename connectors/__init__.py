"""Harvesting outside catalogues (CKAN, udata, OpenDataSoft, DCAT, SCDL catalogue CSV)
into the ctd catalogue. Depends on `catalogue`, never the other way round."""
