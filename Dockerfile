# pylon-gql server image. Build: docker build -t pylon-gql .
# Run against finney: docker run -p 8000:8000 -v pylon-data:/data -e PYLON_NETWORK=finney pylon-gql
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 pylon \
 && mkdir /data && chown pylon:pylon /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY pylon_gql ./pylon_gql
COPY migrations ./migrations
RUN pip install .
# GraphiQL's browser files (not in git), so that GraphiQL works without internet.
RUN python -m pylon_gql.graphiql.fetch

USER pylon
ENV PYLON_HOST=0.0.0.0 \
    PYLON_PORT=8000 \
    PYLON_DATA_DIR=/data \
    PYLON_WALLET_PATH=/data/wallets
VOLUME ["/data"]
EXPOSE 8000

# /health answers 200 once the server follows the chain and its head is fresh.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"

CMD ["pylon-gql", "serve"]
