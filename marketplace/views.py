"""Pages. Thin: each reads through registry selectors and renders a template."""

from django.db.models import Count, Q
from django.shortcuts import render

from registry.models import ModelRepository
from registry.models.repositories import Industry


def home(request):
    visible = ModelRepository.objects.visible_to(request.user).filter(refs__isnull=False).distinct()
    industries = visible.values("industry").annotate(count=Count("id", distinct=True)).order_by("industry")
    labels = dict(Industry.choices)
    recent = visible.select_related("namespace").order_by("-updated_at")[:12]
    context = {
        "industries": [
            {"slug": i["industry"], "label": labels.get(i["industry"], i["industry"]), "count": i["count"]}
            for i in industries
        ],
        "recent": recent,
        "total": visible.count(),
        "gated": visible.filter(~Q(gating=ModelRepository.Gating.NONE)).count(),
    }
    return render(request, "marketplace/home.html", context)
