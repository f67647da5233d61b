"""The site's pages over HTTP: what each shows, link previews with absolute URLs, HTML errors on the site's paths
(the API's stay JSON), caching like the API's, rate limits, and hostile input. tests/browser drives them in Chromium."""

from __future__ import annotations

import dataclasses
from datetime import date
from html import escape
from html.parser import HTMLParser

import pytest
from dependency_injector import providers

from pepy.application.queries.rankings import TrendingProjects
from pepy.domain.read_models import RankedProject
from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.container import build_container, close_pools
from tests.e2e.test_database_errors import UNREACHABLE
from tests.e2e.test_hostile_input import HOSTILE_NAMES

pytestmark = pytest.mark.timeout(120)


class Page(HTMLParser):
    """What the tests read of a page: its meta tags, the text of its h1s and of the element with id error-message."""

    def __init__(self, html: str):
        super().__init__()
        self.meta: dict[str, str] = {}
        self.h1: list[str] = []
        self.error = ""
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "meta" and "content" in attributes:
            self.meta[attributes.get("property") or attributes.get("name")] = attributes["content"]
        if tag == "h1":
            self._in = "h1"
            self.h1.append("")
        elif attributes.get("id") == "error-message":
            self._in = "error"

    def handle_endtag(self, tag):
        if tag in ("h1", "p"):
            self._in = None

    def handle_data(self, data):
        if self._in == "h1":
            self.h1[-1] += data
        elif self._in == "error":
            self.error += data


def page(response, status: int = 200) -> Page:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    parsed = Page(response.get_data(as_text=True))
    assert len(parsed.h1) == 1
    return parsed


@pytest.mark.parametrize(
    ("url", "h1"),
    [
        ("/", "PyPI download statistics"),
        ("/search", "Search projects"),
        ("/search?q=demo", "Projects starting with “demo”"),
        ("/search?q=zzz", "Projects starting with “zzz”"),
        ("/projects/Demo.Pkg", "demo-pkg"),
        ("/projects/demo-pkg?period=all&granularity=month&breakdown=installer", "demo-pkg"),
        ("/compare", "Compare projects"),
        ("/compare?projects=other,Demo_Pkg&period=1y", "Compare other vs demo-pkg"),
    ],
)
def test_every_page_answers_with_one_heading_and_the_apis_caching(api_client, url, h1):
    response = api_client.get(url)
    assert page(response).h1 == [h1]
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    again = api_client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_home_page_ranks_the_top_projects_with_links(api_client):
    html = api_client.get("/").get_data(as_text=True)
    top = api_client.get("/api/v3/top?period=month").get_json()["projects"]
    assert [p["name"] for p in top] == ["other", "demo-pkg", "demo-pkg-extra"]
    positions = [html.index(f'<a href="/projects/{p["name"]}">{p["name"]}</a>') for p in top]
    assert positions == sorted(positions)


def test_the_home_page_says_why_trending_is_missing_as_the_api_does(api_client):
    html = api_client.get("/").get_data(as_text=True)
    refusal = api_client.get("/api/v3/trending?period=week")

    assert refusal.status_code == 503 and "Trending this week" in html
    assert escape(refusal.get_json()["message"]) in html


def test_the_home_page_lists_the_trending_projects_with_both_weeks(api, api_client):
    week = TrendingProjects(
        "week",
        date(2026, 11, 14),
        date(2026, 11, 20),
        date(2026, 11, 7),
        date(2026, 11, 13),
        True,
        [RankedProject("rising", 5_000, 1_000, 2.0), RankedProject("steady", 1_200, 1_000, 0.1)],
    )
    api.get_trending_projects.override(providers.Object(lambda query: week))
    html = api_client.get("/").get_data(as_text=True)

    assert "Downloads from 2026-11-14 to 2026-11-20 against 2026-11-07 to 2026-11-13" in html
    assert html.index('<a href="/projects/rising">rising</a>') < html.index('<a href="/projects/steady">steady</a>')
    assert "5,000 (from 1,000)" in html


def test_a_project_page_links_its_chart_options_and_shares_its_chart(api_client):
    response = api_client.get("/projects/Demo.Pkg?breakdown=version")
    html = response.get_data(as_text=True)
    meta = page(response).meta

    assert meta["og:url"] == "http://localhost/projects/demo-pkg"
    assert meta["og:image"] == "http://localhost/chart/demo-pkg.png"
    assert meta["og:title"] == "demo-pkg downloads"
    assert meta["og:description"] == (
        "Downloads of demo-pkg from PyPI: 11 on the last day, 36 over the last 30 days, 126 in all."
    )
    assert meta["twitter:card"] == "summary_large_image"
    assert '<img src="/chart/demo-pkg.svg?period=90d&amp;breakdown=version" alt="Line chart of demo-pkg.' in html
    assert 'srcset="/chart/demo-pkg.svg?period=90d&amp;breakdown=version&amp;width=360&amp;height=300"' in html
    assert '<a href="/projects/demo-pkg?period=30d&amp;breakdown=version">30 days</a>' in html
    assert '<a href="/projects/demo-pkg?period=90d&amp;breakdown=version" aria-current="true">Version</a>' in html
    assert '<a href="/projects/demo-pkg?period=90d&amp;granularity=week&amp;breakdown=version">Weekly</a>' in html
    assert "[![PyPI downloads](http://localhost/badge/demo-pkg)](http://localhost/projects/demo-pkg)" in html
    assert "![demo-pkg downloads](http://localhost/chart/demo-pkg.svg?period=90d&amp;breakdown=version)" in html


def test_absolute_links_use_the_public_url_or_else_the_requests_host(api):
    client = create_app(api).test_client()
    here = client.get("/projects/demo-pkg", base_url="http://here.example")
    there = client.get("/projects/demo-pkg", base_url="https://there.example")
    # Each host gets its own answer, and its own validator: none is served to another host from a cache.
    assert page(here).meta["og:url"] == "http://here.example/projects/demo-pkg"
    assert page(there).meta["og:url"] == "https://there.example/projects/demo-pkg"
    assert here.headers["ETag"] != there.headers["ETag"]

    api.config.public_url.from_value("https://pepy.example.org")
    public = create_app(api).test_client().get("/projects/demo-pkg", base_url="http://evil.example")
    assert page(public).meta["og:image"] == "https://pepy.example.org/chart/demo-pkg.png"
    assert "evil.example" not in public.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/projects/nothing-here", 404, "Project with name nothing-here does not exist"),
        ("/projects/nothing-here/", 404, "Project with name nothing-here does not exist"),
        ("/compare?projects=demo-pkg,nothing-here", 404, "Project with name nothing-here does not exist"),
        ("/no/such/page", 404, "The requested URL was not found on the server."),
        ("/projects/", 404, "The requested URL was not found on the server."),
        ("/projects/-bad", 400, "Invalid project name '-bad'"),
        ("/projects/a/b", 400, "Invalid project name 'a/b'"),
        ("/projects/demo-pkg?period=5y", 400, "period: must be one of 30d, 90d, 1y, all, not '5y'"),
        ("/projects/demo-pkg?breakdown=colour", 400, "breakdown: must be one of version,"),
        ("/projects/demo-pkg?breakdown=version&granularity=day&period=all", 200, None),
        ("/search?q=%25", 400, "q: must be the start of a project name"),
        ("/search?q=a&q=b", 400, "q: is given more than once; give it once"),
        ("/compare?projects=a,a", 400, "projects: names 'a' more than once"),
        ("/compare?projects=" + ",".join(f"p{n}" for n in range(11)), 400, "projects: must name 1 to 10 projects"),
    ],
)
def test_errors_on_the_sites_paths_are_html_pages_saying_what_is_wrong(api_client, url, status, message):
    shown = page(api_client.get(url), status)
    if message is not None:
        assert shown.error.startswith(message), shown.error


def test_the_apis_errors_stay_json(api_client):
    for url, status in [("/api/v3/projects/nothing-here", 404), ("/api/nothing", 404), ("/api/v3/top?limit=0", 400)]:
        response = api_client.get(url)
        assert (response.status_code, response.mimetype, response.get_json()["error"]) == (
            status,
            "application/json",
            status,
        )
    assert api_client.post("/projects/demo-pkg").mimetype == "text/html"


def test_a_message_is_escaped_in_the_page(api_client):
    response = api_client.get("/projects/demo-pkg?period=%3Cscript%3Ealert(1)%3C/script%3E")
    assert page(response, 400).error == "period: must be one of 30d, 90d, 1y, all, not '<script>alert(1)</script>'"
    assert "<script>alert" not in response.get_data(as_text=True)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_refused_cleanly(api_client, name):
    response = api_client.get(f"/projects/{name}")
    assert response.status_code in (400, 404) and response.mimetype == "text/html"


def test_the_static_files_are_served_with_their_digest_in_the_url_and_never_limited(container):
    container.config.rate_limit_tiers.from_value("anonymous:60:1")
    for provider in (container.tiers, container.admit_request):
        provider.reset()
    client = create_app(container).test_client()
    html = client.get("/search").get_data(as_text=True)
    assert client.get("/search").status_code == 429
    css = html.split('<link rel="stylesheet" href="')[1].split('"')[0]
    assert css.startswith("/static/site.css?v=")
    for url in (css, "/static/copy.js", "/static/favicon.svg", css):
        response = client.get(url)
        assert response.status_code == 200 and "RateLimit-Limit" not in response.headers
        assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert client.get("/static/copy.js").mimetype == "text/javascript"
    missing = client.get("/static/../app.py")
    assert missing.status_code == 404 and missing.mimetype == "application/json"


def test_pages_are_rate_limited_like_the_api_with_a_page_saying_so(container):
    container.config.rate_limit_tiers.from_value("anonymous:60:2")
    for provider in (container.tiers, container.admit_request):
        provider.reset()
    client = create_app(container).test_client()
    answers = [client.get("/projects/nothing-here") for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    refused = page(answers[2], 429)
    assert refused.error.startswith("Too many requests: retry in ")
    assert answers[2].headers["Retry-After"]


def test_a_database_outage_is_an_html_503(settings):
    container = build_container(dataclasses.replace(settings, read_database_url=UNREACHABLE))
    try:
        response = create_app(container).test_client().get("/projects/demo-pkg")
        assert page(response, 503).error == "The database is unavailable; try again shortly"
        assert response.headers["Retry-After"] == "5"
    finally:
        close_pools(container)
        container.unwire()
