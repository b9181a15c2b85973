"""`redhall serve` over HTTPS with an organization's own CA: a client that trusts the CA
gets answers (with HSTS, and the session cookie kept to HTTPS); one that does not is refused;
a certificate and key that cannot be served stop the server with a message, not a trace."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.serving import free_port
from server.settings import Settings
from tests.server.conftest import KEY


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_ca_and_server(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA (as an organization's own) and a server certificate it signed for
    127.0.0.1 and localhost: (CA certificate, server certificate, server key)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("RedHall test CA"))
          .issuer_name(_name("RedHall test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                       crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False,
                                       decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server = (x509.CertificateBuilder().subject_name(_name("redhall.test"))
              .issuer_name(ca.subject).public_key(key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName(names), critical=False)
              .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                             critical=False)
              .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(_pem_key(key))
    return paths


def _environment(tmp_path: Path, port: int, cert: Path | None, key: Path | None
                 ) -> dict[str, str]:
    env = {**os.environ, "REDHALL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/r.db",
           "REDHALL_DATA_DIR": str(tmp_path / "data"), "REDHALL_ENCRYPTION_KEY": KEY,
           "REDHALL_PORT": str(port)}
    for name in ("REDHALL_REDIS_URL", "REDHALL_TLS_CERT", "REDHALL_TLS_KEY"):
        env.pop(name, None)
    if cert is not None:
        env["REDHALL_TLS_CERT"] = str(cert)
    if key is not None:
        env["REDHALL_TLS_KEY"] = str(key)
    return env


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    ca, cert, key = make_ca_and_server(tmp_path)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "redhall", "serve"],
                               env=_environment(tmp_path, port, cert, key),
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        yield f"https://127.0.0.1:{port}", ca
    except BaseException:
        print((tmp_path / "serve.log").read_text(errors="replace")[-3000:])
        raise
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def _answer(url: str, trust: ssl.SSLContext | bool) -> aiohttp.ClientResponse:
    """The server's answer to /healthz once it is listening (it may still be starting)."""
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"{url}/healthz", ssl=trust) as reply:
                    await reply.read()
                    return reply
            except aiohttp.ClientConnectorCertificateError:
                raise
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


async def test_https_with_the_organizations_own_ca(served: tuple[str, Path]) -> None:
    url, ca = served
    trusting = ssl.create_default_context(cafile=str(ca))
    reply = await _answer(url, trusting)
    assert reply.status == 200
    assert reply.headers["Strict-Transport-Security"] == "max-age=31536000"
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await _answer(url, ssl.create_default_context())  # the system's CAs do not know it
    with pytest.raises((aiohttp.ClientError, ConnectionError)):
        async with aiohttp.ClientSession() as http, \
                http.get(url.replace("https", "http") + "/healthz") as plain:
            await plain.read()


def test_a_certificate_turns_the_session_cookie_to_https_only(tmp_path: Path) -> None:
    _, cert, key = make_ca_and_server(tmp_path)
    assert Settings(tls_cert=cert, tls_key=key).cookie_secure is True
    assert Settings().cookie_secure is False


@pytest.mark.parametrize("broken", ["mismatched", "missing", "only-cert"])
def test_certificates_that_cannot_be_served_stop_it_with_a_message(broken: str,
                                                                   tmp_path: Path) -> None:
    _, cert, key = make_ca_and_server(tmp_path)
    if broken == "mismatched":
        key.write_bytes(_pem_key(ec.generate_private_key(ec.SECP256R1())))
    given = {"mismatched": (cert, key), "missing": (cert, tmp_path / "nowhere.key"),
             "only-cert": (cert, None)}[broken]
    done = subprocess.run([sys.executable, "-m", "redhall", "serve"], capture_output=True,
                          env=_environment(tmp_path, free_port(), *given), timeout=60)
    said = (done.stdout + done.stderr).decode()
    assert done.returncode != 0 and "Traceback" not in said, said
    assert ("TLS" in said or "HTTPS" in said), said


def test_a_setting_that_cannot_be_taken_is_named(tmp_path: Path) -> None:
    env = {**_environment(tmp_path, 1, None, None), "REDHALL_PORT": "eighty"}
    done = subprocess.run([sys.executable, "-m", "redhall", "serve"], capture_output=True,
                          env=env, timeout=60)
    said = (done.stdout + done.stderr).decode()
    assert done.returncode == 2 and "Traceback" not in said, said
    assert "REDHALL_PORT" in said, said
