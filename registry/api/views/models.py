"""Models: the listing (filter, search, order, cursor pages), one model's detail, its refs, and the
request to access a gated model."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from registry import selectors
from registry.errors import RepositoryNotFound
from registry.models import AccessGrant, ModelRepository
from registry.services import access

from .. import rows, serializers
from .base import ERRORS, RegistryAPIView, next_page_url, repository_for
from .versions import compliance_payload, version_detail

# `ordering` parameter -> (selectors sort, descending)
ORDERINGS = {
    "-downloads": ("downloads", True),
    "downloads": ("downloads", False),
    "-last_modified": ("lastModified", True),
    "last_modified": ("lastModified", False),
    "-created_at": ("createdAt", True),
    "created_at": ("createdAt", False),
    "id": ("id", False),
    "-id": ("id", True),
}


def models_url(request: Request) -> str:
    return request.build_absolute_uri("/api/v1/models/")


class ModelListView(RegistryAPIView):
    @extend_schema(
        operation_id="list_models",
        parameters=[serializers.ModelListQuerySerializer],
        responses={200: serializers.ModelPageSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        """Models you may see, one page at a time (follow `next`); no total count is computed."""
        raw = request.query_params
        data = {k: raw.get(k) for k in raw if k != "tag"}
        data["tag"] = raw.getlist("tag")
        params = serializers.ModelListQuerySerializer(data=data)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        sort, descending = ORDERINGS[given["ordering"]]
        page = selectors.list_models(
            user=request.user,
            query=selectors.ModelQuery(
                search=given.get("search", ""),
                author=given.get("namespace", ""),
                tags=tuple(given.get("tag", ())),
                industry=given.get("industry", ""),
                license=given.get("license", ""),
                task=given.get("task", ""),
                gated=given["gated"],
                min_parameters=given.get("min_parameters"),
                max_parameters=given.get("max_parameters"),
                fits_in_bytes=None if given.get("fits_in_gb") is None else int(given["fits_in_gb"] * 1e9),
                fits_precision=given["fits_precision"],
                sort=sort,
                descending=descending,
                limit=given["page_size"],
                cursor=given.get("cursor"),
            ),
        )
        base = models_url(request)
        return Response(
            {
                "results": [rows.model_summary(row, base) for row in page.rows],
                "next": next_page_url(request, page.next_cursor),
            }
        )


class ModelDetailView(RegistryAPIView):
    @extend_schema(operation_id="get_model", responses={200: serializers.ModelDetailSerializer, **ERRORS})
    def get(self, request: Request, namespace: str, name: str) -> Response:
        """A model at its main branch: summary, refs, card metadata, compliance and evaluations."""
        repository = repository_for(request, namespace, name)
        row = (
            selectors.listed_repositories(request.user)
            .filter(pk=repository.pk)
            .values(*selectors.ROW_FIELDS, *selectors.ROW_ANNOTATIONS)
            .first()
        )
        if row is None:  # no published main yet: nothing to show (drafts are invisible)
            raise RepositoryNotFound(f"Repository {repository.repo_id} has no published version yet.")
        main = repository.versions.get(pk=row["version_id"])
        card = selectors.card_of(main.pk)
        detail = rows.model_summary(row, models_url(request))
        detail.update(
            gating_terms=repository.gating_terms if repository.is_gated else "",
            refs=selectors.repository_refs(repository),
            main=version_detail(main),
            card_metadata=card["metadata"] if card else {},
            compliance=compliance_payload(main),
            evaluations=selectors.evaluation_results(main),
            has_file_access=access.has_gated_access(request.user, repository),
            kind=repository.kind,
            external_provider=repository.external_provider,
            external_url=repository.external_url,
            base_model=repository.base_model,
            base_model_relation=repository.base_model_relation,
        )
        return Response(detail)


class ModelRefsView(RegistryAPIView):
    @extend_schema(
        operation_id="list_model_refs", responses={200: serializers.RefSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request, namespace: str, name: str) -> Response:
        """Branches and tags, with the commit each points at."""
        return Response(selectors.repository_refs(repository_for(request, namespace, name)))


class AccessRequestView(RegistryAPIView):
    """Accepting a gated model's terms. Automatic gating grants access at once; manual gating
    records the request for the publisher to decide."""

    def _state(self, request: Request, repository: ModelRepository) -> dict:
        grant = None
        if request.user.is_authenticated:
            grant = AccessGrant.objects.filter(repository=repository, user=request.user).first()
        return {
            "gating": repository.gating,
            "terms": repository.gating_terms,
            "terms_digest": access.terms_digest(repository),
            "status": grant.status if grant else None,
            "has_access": access.has_gated_access(request.user, repository),
        }

    @extend_schema(
        operation_id="get_access_state", responses={200: serializers.AccessStateSerializer, **ERRORS}
    )
    def get(self, request: Request, namespace: str, name: str) -> Response:
        """Whether you may download the model's files, and the terms to accept if not."""
        return Response(self._state(request, repository_for(request, namespace, name)))

    @extend_schema(
        operation_id="request_access",
        request=serializers.AccessRequestSerializer,
        responses={
            200: serializers.AccessStateSerializer,
            403: OpenApiResponse(serializers.ErrorResponseSerializer, description="The model is not gated."),
            **ERRORS,
        },
    )
    def post(self, request: Request, namespace: str, name: str) -> Response:
        """Accept the current terms (`accept_terms: true`), with answers to the publisher's questions."""
        if not request.user.is_authenticated:
            raise NotAuthenticated("sign in or send a token to accept a model's terms")
        repository = repository_for(request, namespace, name)
        body = serializers.AccessRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        access.request_access(
            repository=repository, user=request.user, answers=body.validated_data["answers"]
        )
        return Response(self._state(request, repository))
