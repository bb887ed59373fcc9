"""``eduwatch web``: server-rendered pages, Atom feeds and a JSON API over the same database.

FastAPI (Starlette) with Jinja2 templates, served by uvicorn; no JavaScript and no front-end
build. Pages show times in Beijing time (the readers' zone, labelled); the JSON API keeps the
CLI's ISO UTC ``…Z``. ``app`` builds the application, one module per group of routes.
"""
