# The coordinator image, built the conventional way, for operators who build
# with a registry. scripts/build-image makes the same image without one and
# reproducibly (same commit -> same layer digest -> same PCR0); this file does
# not promise that (base image and Debian packages are whatever the registry
# and the archive serve on the day). The Python dependencies are the same
# hash-locked ones. See README, "Nitro Enclave".
#
#   docker build --build-arg BASE_IMAGE=debian:bookworm-slim -t silvana-coordinator .
#
# BASE_IMAGE must be Debian bookworm (python3.11, docker.io 20.10), or a
# mirror of it in your own registry.
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS python-deps
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-pip ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY config/enclave/requirements.lock /tmp/requirements.lock
# --target: outside Debian's externally managed site-packages; copied below.
RUN python3 -m pip install --no-cache-dir --disable-pip-version-check --require-hashes \
        --no-deps --only-binary=:all: --target /out -r /tmp/requirements.lock \
    && rm -rf /out/bin

FROM ${BASE_IMAGE}
ARG DEBIAN_FRONTEND=noninteractive
# docker.io: the enclave's own engine; iproute2: `ip link set lo up`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 docker.io iproute2 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=python-deps /out /usr/local/lib/python3.11/dist-packages
COPY coordinator /opt/silvana/coordinator
COPY config /opt/silvana/config
ENV PYTHONPATH=/opt/silvana PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LANG=C.UTF-8
WORKDIR /opt/silvana
ENTRYPOINT ["python3", "-m", "coordinator.enclave"]
