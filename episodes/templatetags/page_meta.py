"""Tags for what a page tells search engines and link previews: meta tags, Open Graph, JSON-LD."""

from django import template
from django.utils.safestring import mark_safe

from .. import media_urls, structured_data
from ..models import Episode, Guest

register = template.Library()


class CaptureNode(template.Node):
    # Declared so that the {% block %}s inside are found, and filled by the page's template.
    child_nodelists = ("nodelist",)

    def __init__(self, nodelist, name):
        self.nodelist = nodelist
        self.name = name

    def render(self, context):
        # The blocks' output is rendered (and escaped) template output already.
        context[self.name] = mark_safe(" ".join(self.nodelist.render(context).split()))  # noqa: S308
        return ""


@register.tag
def capture(parser, token):
    """``{% capture as name %}...{% endcapture %}``: renders the content once into ``name`` (blanks collapsed).

    base.html captures the title and description blocks each page fills, to use them in
    <title>, the meta description and the Open Graph and Twitter tags alike.
    """
    bits = token.split_contents()
    if len(bits) != 3 or bits[1] != "as":
        raise template.TemplateSyntaxError("usage: {% capture as name %}...{% endcapture %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[2])


def _page_subject(context):
    """The episode or guest a page is about, if any."""
    for name in ("episode", "guest"):
        subject = context.get(name)
        if isinstance(subject, Episode | Guest):
            return subject
    return None


@register.simple_tag(takes_context=True)
def share_image(context):
    """{url, width, height, alt} of the image link previews show for this page (cover or portrait), or None."""
    subject = _page_subject(context)
    found = media_urls.share_image(context["request"], subject) if subject is not None else None
    if found is None:
        return None
    url, width, height = found
    alt = f"Cover of {subject.title}" if isinstance(subject, Episode) else f"Photo of {subject.name}"
    return {"url": url, "width": width, "height": height, "alt": alt}


@register.simple_tag(takes_context=True)
def og_type(context):
    subject = _page_subject(context)
    if isinstance(subject, Episode):
        return "video.episode" if subject.youtube_id else "article"
    return "profile" if isinstance(subject, Guest) else "website"


@register.simple_tag(takes_context=True)
def episode_json_ld(context, episode):
    return structured_data.json_ld(structured_data.episode_graph(context["request"], episode))


@register.simple_tag(takes_context=True)
def guest_json_ld(context, guest, episodes):
    return structured_data.json_ld(structured_data.guest_graph(context["request"], guest, episodes))


@register.simple_tag(takes_context=True)
def collection_json_ld(context, name, items, description=""):
    """CollectionPage for a list page; ``items`` is a page of a paginated list, or every item."""
    request = context["request"]
    page_url = context.get("canonical") or request.build_absolute_uri(request.path)
    start, total = 1, None
    if hasattr(items, "paginator"):
        start, total = items.start_index(), items.paginator.count
    graph = structured_data.collection_graph(
        request, page_url, name, items, start=start, total=total, description=description
    )
    return structured_data.json_ld(graph)


@register.simple_tag(takes_context=True)
def website_json_ld(context):
    return structured_data.json_ld(structured_data.website_graph(context["request"]))
