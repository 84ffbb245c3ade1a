"""The data-quality report in the admin (/admin/episodes/episode/quality/): a thin view over ``quality``.

Findings are grouped per episode, then per person, with counts and filters by
kind and severity (and ``?episode=SLUG`` for one episode and its guests),
GROUPS_PER_PAGE groups to a page. The page is for anyone who may view episodes
in the admin.
"""

from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path

from .quality import KINDS, Severity, build_report

GROUPS_PER_PAGE = 25
TEMPLATE = "admin/episodes/episode/quality.html"


def urls(model_admin):
    view = model_admin.admin_site.admin_view(lambda request: quality_view(model_admin, request))
    return [path("quality/", view, name="episodes_episode_quality")]


class QualityFilterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "all"), *((code, kind.label) for code, kind in KINDS.items())], required=False
    )
    severity = forms.ChoiceField(choices=[("", "all"), *((str(s), str(s)) for s in Severity)], required=False)
    episode = forms.SlugField(required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)

    def __init__(self, *args, episodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.episodes = episodes

    def clean_episode(self):
        slug = self.cleaned_data["episode"]
        if slug and slug not in self.episodes:
            raise forms.ValidationError(f"No episode has the slug “{slug}”.")
        return slug


def quality_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    report = build_report()
    form = QualityFilterForm(request.GET, episodes=report.episodes)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Data-quality report",
        "form": form,
    }
    if not form.is_valid():
        # A hand-made query string: say what is wrong rather than guess.
        return TemplateResponse(request, TEMPLATE, context, status=400)

    kind, severity, episode = (form.cleaned_data[name] for name in ["kind", "severity", "episode"])
    kinds = [kind] if kind else ()
    base = report.select(episode=episode or None)
    selected = base.select(kinds=kinds, severity=severity or None)
    groups = selected.groups()
    paginator = Paginator(groups, GROUPS_PER_PAGE)
    try:
        page = paginator.page(form.cleaned_data["page"] or 1)
    except EmptyPage:
        raise Http404("No such page of the report.") from None

    params = {name: form.cleaned_data[name] for name in ["kind", "severity", "episode"] if form.cleaned_data[name]}
    context.update(
        report=selected,
        page=page,
        page_links=[
            {"number": number, "url": _query({**params, "page": number}) if isinstance(number, int) else ""}
            for number in paginator.get_elided_page_range(page.number)
        ],
        episode_count=sum(group.episode is not None for group in groups),
        person_count=sum(group.episode is None for group in groups),
        episode=report.episodes.get(episode),
        severity_filters=_filters(params, "severity", _severity_counts(base.select(kinds=kinds))),
        kind_filters=_filters(params, "kind", base.select(severity=severity or None).counts_by_kind()),
        clear_episode_url=_query({**params, "episode": ""}),
    )
    return TemplateResponse(request, TEMPLATE, context)


def _severity_counts(report):
    return {str(Severity.ERROR): report.errors, str(Severity.WARNING): report.warnings}


def _filters(params, name, counts):
    """Links for one filter: "All" then one per value with its count, keeping the other filters (page 1)."""
    current = params.get(name, "")
    links = [
        {"label": "All", "count": sum(counts.values()), "url": _query({**params, name: ""}), "selected": not current}
    ]
    for value, count in counts.items():
        label = KINDS[value].label if name == "kind" else f"{value.capitalize()}s"
        links.append(
            {"label": label, "count": count, "url": _query({**params, name: value}), "selected": value == current}
        )
    return links


def _query(params):
    return "?" + urlencode({name: value for name, value in params.items() if value})
