"""Running the coordinator inside an AWS Nitro Enclave.

`entrypoint`: the image's entrypoint (`python -m coordinator.enclave`):
loopback, /etc/hosts, dockerd, then the daemon in TEE mode.
The daemon's `forwarder` child (TCP on loopback -> vsock to the parent's
vsock-proxy) is `coordinator.forwarder`: a child of the tree, below the wiring
that this entrypoint starts.
"""
