"""The web portal: server-rendered pages (Jinja2) for members, guides, organizers and
editors, with small ES modules for what is live; every file it needs is served by RedHall
itself. :mod:`server.web.portal` installs it on the application."""
