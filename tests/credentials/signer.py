"""A separate signer for the first login: ``xmlsec1`` signs the unsigned AuthTokenRequest Fakturnik wrote
(an enveloped XMLDSig signature, as a qualified-signature tool would), with a test seal made at test time."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from fakturnik.ksef.credentials import CertificateCredential

XMLSEC1 = shutil.which("xmlsec1")

_TEMPLATE = b"""<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<ds:Reference URI="">
<ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
</ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
<ds:DigestValue/>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue/>
<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>
</ds:Signature>"""


def sign_with_xmlsec1(unsigned: bytes, credential: CertificateCredential, workdir: Path) -> bytes:
    """The signed file, made by the xmlsec1 program (RSA-SHA256, enveloped, certificate in KeyInfo)."""
    assert XMLSEC1 is not None, "xmlsec1 is not installed (Debian: apt-get install xmlsec1)"
    workdir.mkdir(parents=True, exist_ok=True)
    close = unsigned.rstrip().rindex(b"</")
    template = unsigned.rstrip()[:close] + _TEMPLATE + unsigned.rstrip()[close:]
    (workdir / "template.xml").write_bytes(template)
    key = workdir / "seal.key.pem"
    key.write_bytes(
        credential.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key.chmod(0o600)
    cert = workdir / "seal.cert.pem"
    cert.write_bytes(credential.certificate.public_bytes(serialization.Encoding.PEM))
    out = workdir / "signed.xml"
    subprocess.run(
        [
            XMLSEC1,
            "--sign",
            "--privkey-pem",
            f"{key},{cert}",
            "--output",
            str(out),
            str(workdir / "template.xml"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    key.unlink()
    return out.read_bytes()
