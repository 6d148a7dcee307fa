"""A fake Apollo People API Search on 127.0.0.1, as strict as the real one where CAM cares.

POST /api/v1/mixed_people/api_search with the key in `x-api-key` (401 otherwise),
`page` and `per_page` (at most 100, 422 beyond) in the JSON body; answers
`{"people": [...], "total_entries": N, "pagination": {...}}` with people shaped
like Apollo's search results: no email, an obfuscated last name. `script` holds
replies to give before the normal ones (a 429 with Retry-After, a 500, ...).
"""

from __future__ import annotations

from tests.fakes.server import FakeServer, Reply

SEARCH_PATH = "/api/v1/mixed_people/api_search"


def person(i: int) -> dict:
    return {
        "id": f"apollo{i:05d}",
        "first_name": ["Ada", "Grace", "Alan", "Zoë", "Łukasz"][i % 5],
        "last_name_obfuscated": f"L***{i}",
        "title": "CTO" if i % 2 else "VP Engineering",
        "has_email": True,
        "organization": {"name": f"Company {i // 3}", "primary_domain": f"company{i // 3}.example"},
    }


class FakeApollo(FakeServer):
    def __init__(self, key: str = "test-key", people: int = 250, script: list[Reply] | None = None) -> None:
        super().__init__()
        self.key = key
        self.people = [person(i) for i in range(people)]
        self.script = list(script or [])

    @property
    def searches(self):
        return [r for r in self.requests if r.path == SEARCH_PATH]

    def handle(self, request):
        if request.path != SEARCH_PATH or request.method != "POST":
            return Reply(404, {"error": "not found"})
        if request.headers.get("x-api-key") != self.key:
            return Reply(401, {"error": "Invalid access credentials.", "error_code": "INVALID_API_KEY"})
        if self.script:
            return self.script.pop(0)
        body = request.json or {}
        page, per_page = int(body.get("page", 1)), int(body.get("per_page", 10))
        if per_page > 100:
            return Reply(422, {"error": "per_page must be at most 100"})
        start = (page - 1) * per_page
        total_pages = -(-len(self.people) // per_page)
        return Reply(
            200,
            {
                "total_entries": len(self.people),
                "people": self.people[start : start + per_page],
                "pagination": {
                    "page": page,
                    "per_page": per_page,
                    "total_entries": len(self.people),
                    "total_pages": total_pages,
                },
            },
        )
