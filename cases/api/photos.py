"""One photo: its state and faces, and choosing the child's face."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.access.http import AuthenticatedRequest
from cases.access.permissions import Action
from cases.api.serializers import PhotoOutput
from cases.records import selectors
from matching import interfaces as matching
from reunite.kernel.api.responses import ETAG, resource_response
from reunite.kernel.api.schema import problems


class PhotoDetailApi(APIView):
    @extend_schema(
        summary="A photo's state and detected faces",
        description="`status`: `pending`, `processing`, `ready`, `rejected` (see "
        "`rejection_code` and `rejection_reason`) or `needs_face_selection`; v1 may add "
        "values.",
        parameters=[ETAG],
        responses={200: PhotoOutput, **problems(404)},
    )
    def get(self, request: AuthenticatedRequest, photo_id: int) -> Response:
        photo = selectors.photo_get(user=request.user, photo_id=photo_id, action=Action.PHOTO_ADD)
        return resource_response(PhotoOutput(photo).data)


class SelectFaceInput(serializers.Serializer):
    face_id = serializers.IntegerField()


class PhotoSelectFaceApi(APIView):
    @extend_schema(
        summary="Pick the child's face in a photo with several faces",
        description="For a photo in `needs_face_selection`: `face_id` names the child's face, "
        "the one the photo is matched with.",
        request=SelectFaceInput,
        responses={200: PhotoOutput, **problems(400, 404)},
    )
    def post(self, request: AuthenticatedRequest, photo_id: int) -> Response:
        photo = selectors.photo_get(
            user=request.user, photo_id=photo_id, action=Action.PHOTO_SELECT_FACE
        )
        serializer = SelectFaceInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = matching.photo_face_select(
            user=request.user, photo=photo, face_id=serializer.validated_data["face_id"]
        )
        return Response(PhotoOutput(photo).data)
