"""Finding the address at which user containers reach the hub."""

import ipaddress

import docker


class DockerUnavailable(RuntimeError):
    """No Docker engine answered; the message says how to start one."""


def docker_gateway(network_name):
    """The gateway IP of a Docker network: the host as seen from the network's containers."""
    try:
        client = docker.from_env(timeout=10)
        network = client.networks.get(network_name)
    except docker.errors.NotFound:
        raise DockerUnavailable(
            f"Docker network {network_name!r} does not exist. Create it "
            f"(docker network create {network_name}) or set GC_DOCKER_NETWORK."
        ) from None
    except docker.errors.DockerException as e:
        raise DockerUnavailable(
            f"No Docker engine answered. Start one (systemctl start docker, or dockerd &) and try again. ({e})"
        ) from None
    for pool in network.attrs.get("IPAM", {}).get("Config") or []:
        if pool.get("Gateway"):
            return pool["Gateway"]
        if pool.get("Subnet") and ":" not in pool["Subnet"]:
            # Docker gives a bridge the subnet's first address when no gateway is set
            return str(ipaddress.ip_network(pool["Subnet"])[1])
    raise DockerUnavailable(f"Docker network {network_name!r} has no gateway address.")
