"""Bus handlers of the directory: other services' questions about the chain's hotels."""

from shared.bus import LocationExists, LocationExistsRequest, Subjects
from shared.runtime import Runtime

from ..settings import InboxSettings
from . import service as directory


def register(runtime: Runtime, settings: InboxSettings) -> None:
    # A queue group: replicas of the inbox share the questions.
    @runtime.broker.subscriber(Subjects.LOCATION_EXISTS, queue="inbox")
    async def location_exists(request: LocationExistsRequest) -> LocationExists:
        return await directory.location_exists(runtime, request)
