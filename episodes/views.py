from django.http import HttpResponse


def _stub(request, slug=None):
    return HttpResponse("todo")


home = episode_list = episode_detail = guest_list = guest_detail = topic_list = topic_detail = _stub
