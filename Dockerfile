# Production image: Asterisk 22 (Debian unstable carries it; Debian 12 has none) and the controller.
#   docker build -t ivr-acd .
#   docker run --network host -v $PWD/ivr.yaml:/etc/ivr/ivr.yaml:ro -v $PWD/flows:/opt/ivr/flows:ro \
#              -v ivr-state:/var/lib/ivr -v ivr-recordings:/var/spool/asterisk/recording ivr-acd
# Everything binds to 127.0.0.1 unless the config says otherwise (IVR_SIP_HOST=<this host's address> to
# take calls from other machines; keep ARI and AMI on loopback). No working password ships in the image:
# pass IVR_ARI_PASSWORD, IVR_AMI_PASSWORD, IVR_AGENTS_<ID>_PASSWORD, or the first start generates them
# into /var/lib/ivr/secrets/credentials.env (0600). See docs/security.md.
# Pinned: a dated Debian unstable snapshot (Asterisk 22 is only in unstable); move the date on purpose.
FROM debian:sid-20251208-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      asterisk asterisk-core-sounds-en-wav asterisk-core-sounds-en-gsm asterisk-core-sounds-fr-wav \
      asterisk-moh-opsound-wav espeak-ng sox python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /etc/asterisk/*

WORKDIR /opt/ivr
COPY pyproject.toml README.md ./
COPY ivr ivr
COPY acd acd
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir . \
 && ln -s /opt/venv/bin/ivr /usr/local/bin/ivr
COPY asterisk-config asterisk-config
COPY flows flows
COPY ivr.yaml acd.yaml /etc/ivr/
COPY docker/entrypoint.sh /usr/local/bin/ivr-entrypoint

# Asterisk and the controller share one filesystem here: each side sees the same paths.
ENV IVR_CONFIG=/etc/ivr/ivr.yaml \
    IVR_FLOWS_DIR=/opt/ivr/flows \
    IVR_MEDIA_PROMPTS_DIR=/var/lib/ivr/prompts \
    IVR_MEDIA_PBX_PROMPTS_DIR=/var/lib/ivr/prompts \
    IVR_MEDIA_PBX_FLOWS_DIR=/opt/ivr/flows \
    IVR_MEDIA_RECORDINGS_DIR=/var/spool/asterisk/recording \
    IVR_MEDIA_PBX_RECORDINGS_DIR=/var/spool/asterisk/recording \
    IVR_CONTROL_TOKEN_FILE=/var/lib/ivr/control.token \
    IVR_ACD_STORE_URL=sqlite:////var/lib/ivr/acd.sqlite
VOLUME ["/var/lib/ivr"]
EXPOSE 5060/udp 10000-20000/udp
ENTRYPOINT ["/usr/local/bin/ivr-entrypoint"]
