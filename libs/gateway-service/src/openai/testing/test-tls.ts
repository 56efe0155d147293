/**
 * A self-signed certificate for localhost / 127.0.0.1 (valid until 2126) and its key, for specs
 * of the TLS listener only. Never use it for anything else.
 */
export const TEST_TLS = {
  cert: Buffer.from(`-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUNuhlnPlI1I+tbWqh8PKOeaDCvfUwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNDIwNTYyNloYDzIxMjYxMDMx
MjA1NjI2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAR/+ykKq5xP76/1w9kBFHQPgDRvPgZXml9vLf74TNN+C91WX9apg1pl
zkhSjPx8Wmjfoj9kmYz8o8N5A0O3Px0Mo28wbTAdBgNVHQ4EFgQUgDbRQtY3acFw
4rETRsW8+uzr7O0wHwYDVR0jBBgwFoAUgDbRQtY3acFw4rETRsW8+uzr7O0wDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSAAwRQIgfhL8QQLr4v5qIAqi8wyyObC4AgpzynduKEriewt3YX0CIQDe
8nm+lQJKRQGhwVIjXBwOc/Vv9Ma4N2byq7Yygmaieg==
-----END CERTIFICATE-----
`),
  key: Buffer.from(`-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbcMMI8iBmVsoIGeV
JmaZ79aBQYrjmiA+UMrrynoqIjehRANCAAR/+ykKq5xP76/1w9kBFHQPgDRvPgZX
ml9vLf74TNN+C91WX9apg1plzkhSjPx8Wmjfoj9kmYz8o8N5A0O3Px0M
-----END PRIVATE KEY-----
`),
};
