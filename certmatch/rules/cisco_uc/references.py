"""The Cisco documents the cisco-uc rules rest on (each finding's `reference`).

One constant per document (or error text), cited by title and ID as the review in
`../shared/research/cisco-uc-sources.md` checked them.
"""

from __future__ import annotations

# Vendor documents the rules rest on (Finding.reference).
REF_MISMATCH = (
    'Cisco TAC "Verify CSR and Certificate Mismatch for UC"; CUCM upload error '
    '"CSR Public Key and Certificate Public Key Do Not Match"'
)
REF_SAN = (
    'Cisco TAC 200641 "SANs issue with a Third Party Signed Certificate"; CUCM upload error '
    '"CSR SAN and Certificate SAN Does Not Match"'
)
REF_SECURITY_GUIDE = "Cisco Unified Communications Manager Security Guide, Certificates"
REF_KEY_SIZE = (
    "Cisco Unified Communications Manager Security Guide (Release 15), Certificates: the "
    "maximum certificate key size supported is 4096 bits"
)
REF_WILDCARD = (
    "Cisco Unified Communications Manager Security Guide (Release 15), Certificates: "
    'certificates with a wildcard entry (for example "*.cisco.com") are not supported'
)
REF_CLIENT_AUTH = (
    "Cisco Field Notices FN74345 (Unified CM, IM and Presence, Unity Connection) and "
    "FN74362 (Expressway before X15.4): clientAuth EKU sunset in public CA certificates"
)
REF_COMPARE = 'Cisco TAC "Verify CSR and Certificate Mismatch for UC", Solution 3'
REF_CAPF = (
    "Cisco Unified Communications Manager Security Guide, Certificate Authority Proxy Function"
)
REF_FIPS = "Cisco Unified Communications Manager Security Guide, FIPS 140-2 Mode"
REF_MULTI_SERVER = (
    'Cisco TAC 118731 "Unified Communication Cluster Setup with CA-Signed Multi-Server Subject '
    'Alternate Name"'
)
REF_OU = (
    'Cisco TAC "Verify CSR and Certificate Mismatch for UC": the OU comes from '
    "`set web-security` and is part of the CSR subject"
)
REF_TRUST = 'CUCM upload error "CA Certificate is Not Available in the Trust-Store"'
REF_UPLOAD = (
    "Cisco Unified Communications Manager Security Guide (Release 15), Certificates: only PEM "
    "and DER certificates are accepted; Cisco Unified OS Administration Guide, Upload "
    "Certificate or Certificate Chain"
)
