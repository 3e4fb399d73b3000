"""psn's encrypted core: a leaf package (it imports nothing of the project) that seals, opens, signs and verifies.

- `pki`: the network CA; unit certificates bind CN `{agency}/{unit}` + SAN `urn:psn:unit:{agency}:{unit}`.
- `envelope`: AES-256-GCM records under per-agency, versioned data keys wrapped by a master key.
- `audit_chain` / `audit_file`: hash-chained audit entries, Ed25519-signed checkpoints, verification.
- `passwords`: argon2id.  `tokens`: short-lived EdDSA JWTs.  `broker_config`: Mosquitto mTLS config.
- `sealed_stream`: a byte stream sealed with a passphrase (argon2id, AES-256-GCM chunks): backup archives.

Design and threat notes: docs/security.md.
"""

from crypto.audit_chain import AuditEntry, Checkpoint, Failure, Problem, VerifyReport, append, checkpoint, verify
from crypto.audit_file import AuditFile
from crypto.broker_config import BrokerConfig, TlsFiles, render_mosquitto_conf
from crypto.envelope import Keyring, LocalMasterKey, MasterKeyProvider, key_id_of
from crypto.errors import CryptoError
from crypto.identity import UnitIdentity
from crypto.keys import fingerprint, load_public_key, load_signing_key, save_signing_key
from crypto.passwords import Argon2Params, Passwords
from crypto.pki import CertificateAuthority, Issued, init_ca, load_ca
from crypto.tokens import TokenAuthority, TokenClaims, TokenError

__all__ = [
    "Argon2Params",
    "AuditEntry",
    "AuditFile",
    "BrokerConfig",
    "CertificateAuthority",
    "Checkpoint",
    "CryptoError",
    "Failure",
    "Issued",
    "Keyring",
    "LocalMasterKey",
    "MasterKeyProvider",
    "Passwords",
    "Problem",
    "TlsFiles",
    "TokenAuthority",
    "TokenClaims",
    "TokenError",
    "UnitIdentity",
    "VerifyReport",
    "append",
    "checkpoint",
    "fingerprint",
    "init_ca",
    "key_id_of",
    "load_ca",
    "load_public_key",
    "load_signing_key",
    "render_mosquitto_conf",
    "save_signing_key",
    "verify",
]
