"""The search page: /search/?q=... with filters (season, guest, topic, speaker) and pages of episodes."""

from django.shortcuts import render

from .http_cache import public_page
from .models import Episode
from .search import search as run_search
from .search.filters import SearchFilterSet


@public_page
def search(request):
    query = request.GET.get("q", "")
    filterset = SearchFilterSet(request.GET, queryset=Episode.objects.published())
    results = run_search(query, filterset.search_filters(), page=request.GET.get("page"))
    return render(request, "episodes/search.html", {"results": results, "filter": filterset, "query": query})
