"""The web pages: server-rendered French HTML on one accessible layout, without JavaScript.

``catalogue.web.render`` holds the layout's Jinja environment (other packages add their own
templates to it with ``add_templates`` and extend ``base.html``), ``catalogue.web.session``
the sign-in cookie and the CSRF protection of forms, ``catalogue.web.pages`` the catalogue's
pages.
"""
