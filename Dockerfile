# One image for every service; compose and Kubernetes pick the service with the command
# (`python -m services.<name>`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH="/opt/venv/bin:$PATH"

RUN pip install --no-cache-dir uv

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY shared ./shared
COPY services ./services

RUN useradd --system --uid 10001 hub
USER hub

EXPOSE 8001 8002 8003 8004 8005
CMD ["python", "-m", "services.ingest"]
