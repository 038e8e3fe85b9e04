"""The web pages: server-rendered French HTML on one accessible layout; one small script
(``static/ctd.js``) refreshes what is in progress, and every page works without it.

``catalogue.web.render`` holds the layout's Jinja environment (other packages add their own
templates to it with ``add_templates`` and extend ``base.html``); ``catalogue.web.session``
the sign-in cookie and the CSRF protection of forms; ``catalogue.web.routing`` what every
package's pages share (the page route, who the page is for, the posted form, the sections
other packages add to the catalogue's pages); ``catalogue.web.forms`` the French messages of
a form's errors; ``catalogue.web.pages`` the catalogue's pages.
"""
