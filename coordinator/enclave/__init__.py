"""Running the coordinator inside an AWS Nitro Enclave.

`entrypoint`: the image's entrypoint (`python -m coordinator.enclave`):
loopback, /etc/hosts, dockerd, then the daemon in TEE mode.
`forwarder`: the daemon's `forwarder` child, TCP on loopback -> vsock to the
parent's vsock-proxy; only `open_vsock` knows about vsock.
"""
