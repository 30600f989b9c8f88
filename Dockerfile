# pylon-gql server image. Build: docker build -t pylon-gql .
# Run against finney: docker run -p 8000:8000 -v pylon-data:/data -e PYLON_NETWORK=finney pylon-gql
# Another port: docker run -p 9000:9000 -e PYLON_PORT=9000 ... (the HEALTHCHECK follows it).

# The runtime dependencies' list, read from pyproject.toml: the install layer below is rebuilt
# when this list changes, not when the version, the code or another table of pyproject does.
# With every extra (PostgreSQL, Redis): one image serves a laptop and a set of replicas.
FROM python:3.11-slim AS requirements
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print(*p['dependencies'], *(d for ds in p.get('optional-dependencies', {}).values() for d in ds), sep='\n')" > requirements.txt

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --gid 10001 pylon \
 && useradd --create-home --uid 10001 --gid 10001 pylon \
 && mkdir /data && chown 10001:10001 /data

WORKDIR /app
# Dependencies in their own layer, before the code: a change to pylon_gql/ reuses it. The
# runtime's only (no pytest, pyright or ruff: those are the `dev` group, which pip never reads).
# hatchling, the build backend, too: the package itself then builds without the network.
COPY --from=requirements /src/requirements.txt ./
RUN pip install -r requirements.txt "hatchling>=1.26"

COPY docker/healthcheck.py /usr/local/bin/pylon-healthcheck
COPY pyproject.toml README.md ./
COPY migrations ./migrations
COPY pylon_gql ./pylon_gql
# Then GraphiQL's browser files (not in git), so that GraphiQL works without internet; `-P`:
# from the installed package (not ./pylon_gql, the source), so that they land beside it.
RUN pip install --no-deps --no-build-isolation . \
 && python -P -m pylon_gql.graphiql.fetch

# By number: a runtime that checks for a non-root user cannot resolve a name.
USER 10001:10001
ENV PYLON_HOST=0.0.0.0 \
    PYLON_PORT=8000 \
    PYLON_DATA_DIR=/data \
    PYLON_WALLET_PATH=/data/wallets
VOLUME ["/data"]
EXPOSE 8000

# /health answers 200 once the server follows the chain and its head is fresh; asked on
# PYLON_PORT (and PYLON_HOST, PYLON_ALLOWED_HOSTS) as the container runs with them.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "/usr/local/bin/pylon-healthcheck"]

CMD ["pylon-gql", "serve"]
