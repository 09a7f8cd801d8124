"""The Cisco documents the cisco-uc rules rest on (each finding's `reference`).

One constant per rule, citing each document by title and ID as the review of the profile
against Cisco's documents (`../shared/research/cisco-uc-sources.md`) found them. Where no
Cisco text was found, the constant says so, and the rule stays at warning or below.
"""

from __future__ import annotations

# The documents, by the tags of the review (section 6).
TAC_200123 = 'Cisco TAC 200123 "How to Verify the CSR and Certificate Mismatch"'
TAC_217138 = 'Cisco TAC 217138 "Create New Certificates from Signed CA Certificates"'
TAC_200641 = 'Cisco TAC 200641 "SANs issue with a Third Party Signed Certificate in Finesse"'
TAC_118855 = 'Cisco TAC 118855 "Configure UCCX Solution Certificate Management"'
TAC_212214 = 'Cisco TAC 212214 "CAPF Certificate Signed by CA for CUCM"'
TAC_225482 = (
    'Cisco TAC 225482 "Prepare Expressway for Client Auth EKU Sunset in Public CA Certificates"'
)
SECURITY_GUIDE_14 = (
    "Security Guide for Cisco Unified Communications Manager Release 14, Certificates"
)
SECURITY_GUIDE_CSR_TABLE = f"{SECURITY_GUIDE_14}: Certificate Signing Request Key Usage Extensions"
ADMIN_GUIDE_1251SU3 = (
    "Administration Guide for Cisco Unified Communications Manager 12.5(1)SU3, Manage Certificates"
)
FN74345 = "Cisco Field Notice FN74345 (Unified CM, IM and Presence, Unity Connection)"
FN74362 = "Cisco Field Notice FN74362 (Expressway)"
EXPRESSWAY_GUIDE = "Cisco Expressway Certificate Creation and Use Deployment Guide"
CUIC_GUIDE = "Administration Console User Guide for Cisco Unified Intelligence Center 12.5(1)"

REF_MISMATCH = (
    f'{TAC_217138}: upload error "CSR Public Key and Certificate Public Key Do Not Match"; '
    f"{TAC_200123}: the modulus comparison"
)
REF_CA_AS_LEAF = (
    f"{TAC_217138}: the upload compares the CSR's public key with the certificate's "
    "(a CA certificate or the CSR itself in its place is an inference; no Cisco text names it)"
)
REF_SAN = (
    f'{TAC_200641} and {TAC_118855}: "CSR SAN and Certificate SAN does not match", and a CSR '
    f"without SANs makes the server ignore the certificate's; {TAC_217138} (CUCM 14/15)"
)
REF_EXPIRED = f'{TAC_217138}: "CUCM does not allow you to upload an expired certificate"'
REF_NOT_YET_VALID = (
    f"{SECURITY_GUIDE_14} (the upload verifies the certificate's validity); no Cisco text on "
    "not-yet-valid certificates found"
)
REF_TRUST_EXPIRED = (
    f"{SECURITY_GUIDE_14}: expired certificates in any trust store are not imported during an "
    "upgrade to 12.5(1)SU6 and 14SU2 or later"
)
REF_WILDCARD = (
    f'{SECURITY_GUIDE_14}: certificates with a wildcard entry (for example "*.cisco.com") are '
    f"not supported; {TAC_217138}; {EXPRESSWAY_GUIDE} (X15.4)"
)
REF_KEY_SIZE = (
    f"{SECURITY_GUIDE_14}: at most 4096 bits, CallManager keys over 2048 and 4096-bit CA "
    f"certificates in mixed mode; {TAC_118855}: UCCX 1024 and 2048 only; {EXPRESSWAY_GUIDE}, "
    "Troubleshooting: Certificates with Key Length of 8192 Bits"
)
REF_ECDSA = (
    f"{TAC_118855}: ECDSA removed from the UCCX solution in 11.6; {CUIC_GUIDE}: the CA "
    f"certificate must be RSA-signed; {ADMIN_GUIDE_1251SU3}: a third-party CA certificate's "
    "signature algorithm must use RSA encryption"
)
REF_EKU_SERVER = f"{SECURITY_GUIDE_CSR_TABLE}; RFC 5280 section 4.2.1.12"
REF_CLIENT_AUTH = (
    f"{FN74345}: clientAuth EKU sunset in public CA certificates (Chrome Root Program Policy)"
)
REF_CLIENT_AUTH_EXPRESSWAY = f"{FN74362}; {TAC_225482}"
REF_EKU_PURPOSE = f"{SECURITY_GUIDE_CSR_TABLE}; {FN74345}"
REF_CRITICAL = (
    f"{TAC_118855}: only Key Usage and Basic Constraints may be critical, or communication "
    "between Unified CCX and Unified CM fails"
)
REF_KEY_USAGE = (
    f'{SECURITY_GUIDE_14} and {ADMIN_GUIDE_1251SU3}: "Data Encipherment" must not be removed '
    "when the CA signs; Tomcat does not require Key Agreement or IPsec End System"
)
REF_CAPF = (
    "Security Guide for Cisco Unified Communications Manager 12.5(1)SU4, Certificate Authority "
    f"Proxy Function (CA:TRUE, pathlen:0, Certificate Sign); {TAC_212214}"
)
REF_SHA1 = (
    "Security Guide for Cisco Unified Communications Manager 12.5(1)SU6, FIPS Mode Setup: "
    "CSRs and self-signed certificates in FIPS mode use SHA-256 (no Cisco text found that a "
    "SHA-1-signed CA certificate is refused)"
)
REF_CN_CHANGED = (
    f"{TAC_217138}: some CAs do not accept -ms in the CN, remove it when the CSR is created "
    "(no Cisco upload error for a changed CN found)"
)
REF_CN_NOT_IN_SAN = (
    f"{TAC_118855} (browsers check the SAN, not the CN); {EXPRESSWAY_GUIDE}, Troubleshooting "
    "(the peer name must be in the SAN)"
)
REF_OU = (
    "Release Notes for Cisco Unified Communications Manager 14SU2 (Inclusion of Organisation "
    f'Unit field); {SECURITY_GUIDE_14}: "Include OU in CSR"; CA/Browser Forum Ballot SC47v2 '
    "(no OU in public TLS certificates issued from 2022-09-01)"
)
REF_TRUST = (
    f'{TAC_217138}: upload error "CA Certificate is Not Available in the Trust-Store" (upload '
    f"the root, then the intermediates, to <purpose>-trust); {SECURITY_GUIDE_14}"
)
REF_UPLOAD = (
    f"{SECURITY_GUIDE_14}: PEM and DER certificates; {ADMIN_GUIDE_1251SU3}: also a PKCS#7 "
    "chain in PEM"
)
REF_MULTI_SERVER = (
    f"{TAC_217138}: the Multi-SAN field takes no IP addresses, but `set web-security` "
    "(IP addresses permitted) applies even to Multi-SAN certificates"
)
REF_DUPLICATE_SUBJECT = (
    f"{SECURITY_GUIDE_14}: one certificate per subject in a trust store (SHA-1 and SHA-256 "
    f'roots of one name cannot coexist); {EXPRESSWAY_GUIDE} (X14.0): "do not upload multiple '
    'CA certificates with the same common name"'
)
REF_EXPRESSWAY_CONTENT = (
    f"{EXPRESSWAY_GUIDE} (X15.4 About This Guide; Troubleshooting: Unsupported OIDs; X14.0 "
    "Loading Certificates and Keys)"
)
