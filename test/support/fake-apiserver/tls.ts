// A fixed self-signed certificate for 127.0.0.1, ::1 and localhost (valid to 2126).
// kubectl (client-go) applies kubeconfig credentials only over TLS, so the token
// tests give it reaches the server only through the HTTPS listener; clients skip
// verification (insecure-skip-tls-verify), so nothing here is a secret.

export const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgT0NMr6WhKr/sZQTT
DLrtvpQybNjTL/ckJcvs6JJUumehRANCAAQszqcD1BNmH+8OElbF1+MyUF509LKD
949pXlLNl5nbDYXiOwMSOQagHJTPS22SQeS5ilVMmj0uityKJEvbMHFE
-----END PRIVATE KEY-----`;

export const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBtzCCAV6gAwIBAgIUajvkaIGE5gp4DIzQHhjwbjtBqz0wCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOZmFrZS1hcGlzZXJ2ZXIwIBcNMjYxMjA2MDAwMTQzWhgPMjEy
NjExMTIwMDAxNDNaMBkxFzAVBgNVBAMMDmZha2UtYXBpc2VydmVyMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAELM6nA9QTZh/vDhJWxdfjMlBedPSyg/ePaV5SzZeZ
2w2F4jsDEjkGoByUz0ttkkHkuYpVTJo9LorciiRL2zBxRKOBgTB/MB0GA1UdDgQW
BBS6rFPl3CX3gBXF82fpV4ACHD5KXzAfBgNVHSMEGDAWgBS6rFPl3CX3gBXF82fp
V4ACHD5KXzAPBgNVHRMBAf8EBTADAQH/MCwGA1UdEQQlMCOHBH8AAAGHEAAAAAAA
AAAAAAAAAAAAAAGCCWxvY2FsaG9zdDAKBggqhkjOPQQDAgNHADBEAiBx5+PocimY
8f1Sm9zPp6p3yor4IrfCq9dgI3nNYw9pTgIgTxhuCFlBrlmVsVSzN6mBvcsYwTqU
qVds5fCViYP7yjw=
-----END CERTIFICATE-----`;
