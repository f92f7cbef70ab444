#!/bin/sh
# Regenerates the test-only JWT keys in this folder and jwks.json (their public JWK forms).
# Run from this folder: sh generate.sh
set -eu
b64url() { basenc --base64url -w0 | tr -d '='; }

for k in rsa_a rsa_b rsa_attacker; do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k.key" 2>/dev/null
    openssl pkey -in "$k.key" -pubout -out "$k.pub.pem"
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec_p256.key
openssl pkey -in ec_p256.key -pubout -out ec_p256.pub.pem
openssl genpkey -algorithm ED25519 -out ed25519.key
openssl pkey -in ed25519.key -pubout -out ed25519.pub.pem
# A self-signed certificate around rsa_b's public key (PEM keys may be certificates).
openssl req -x509 -new -key rsa_b.key -subj "/CN=parapet-test-only" -days 36500 -out rsa_b.cert.pem

rsa_jwk() {
    n=$(openssl pkey -pubin -in "$1.pub.pem" -noout -text \
        | sed -n '/Modulus:/,/Exponent:/p' | sed '1d;$d' | tr -d ' :\n' | sed 's/^00//' \
        | xxd -r -p | b64url)
    e=$(openssl pkey -pubin -in "$1.pub.pem" -noout -text | sed -n 's/.*Exponent: \([0-9]*\).*/\1/p')
    e=$(printf '%06x' "$e" | sed 's/^0*//' | awk '{ if (length($0) % 2) print "0" $0; else print $0 }' | xxd -r -p | b64url)
    printf '{"kty":"RSA","use":"sig","kid":"%s","n":"%s","e":"%s"}' "$1" "$n" "$e"
}
ec_pub=$(openssl pkey -pubin -in ec_p256.pub.pem -outform DER | tail -c 64 | xxd -p | tr -d '\n')
ec_x=$(printf '%s' "$ec_pub" | cut -c1-64 | xxd -r -p | b64url)
ec_y=$(printf '%s' "$ec_pub" | cut -c65-128 | xxd -r -p | b64url)
ed_x=$(openssl pkey -pubin -in ed25519.pub.pem -outform DER | tail -c 32 | b64url)

{
    printf '{"keys":[\n'
    printf '%s,\n' "$(rsa_jwk rsa_a)"
    printf '%s,\n' "$(rsa_jwk rsa_b)"
    printf '%s,\n' "$(rsa_jwk rsa_attacker)"
    printf '{"kty":"EC","use":"sig","kid":"ec_p256","crv":"P-256","x":"%s","y":"%s"},\n' "$ec_x" "$ec_y"
    printf '{"kty":"OKP","use":"sig","kid":"ed25519","crv":"Ed25519","x":"%s"}\n' "$ed_x"
    printf ']}\n'
} > jwks.json
