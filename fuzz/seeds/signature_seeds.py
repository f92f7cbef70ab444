#!/usr/bin/env python3
# Writes the seeds of the signature_verify and signature_resign fuzz targets (standard
# library and the openssl CLI only). Run from the repository root:
# python3 fuzz/seeds/signature_seeds.py
# The keys are the RFC 9421 Appendix B.1 test keys (test-shared-secret, test-key-ed25519).
# The signatures made here use created=1700000000, the targets' default clock.
import base64, hashlib, hmac, os, subprocess, tempfile

SECRET = base64.b64decode('uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==')
ED_PEM = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n'
NOW = 1700000000
BODY = '{"hello": "world"}'
SHA512 = 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:'
SHA256 = 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'

# RFC 9421 Appendix B.2: the request every example signs.
RFC_HEAD = '''POST /foo?param=Value&Pet=dog HTTP/1.1
Host: example.com
Date: Tue, 20 Apr 2021 02:07:55 GMT
Content-Type: application/json
Content-Digest: ''' + SHA512 + '''
Content-Length: 18
'''

def b64(b): return base64.b64encode(b).decode()
def hs(base): return b64(hmac.new(SECRET, base.encode(), hashlib.sha256).digest())
def ed(base):
    with tempfile.TemporaryDirectory() as d:
        key, msg = os.path.join(d, 'k.pem'), os.path.join(d, 'm')
        open(key, 'w').write(ED_PEM)
        open(msg, 'wb').write(base.encode())
        sig = subprocess.run(['openssl', 'pkeyutl', '-sign', '-inkey', key, '-rawin', '-in', msg],
                             check=True, capture_output=True).stdout
    return b64(sig)

def signed(lines, params, signer, label='sig1'):
    """The signature base of `lines` (component: value) and `params`, and its headers."""
    base = ''.join(f'{c}: {v}\n' for c, v in lines) + f'"@signature-params": {params}'
    return f'Signature-Input: {label}={params}\nSignature: {label}=:{signer(base)}:\n'

def seed(policy, head, body=BODY):
    return f'{policy}\n{head}\n{body}'

verify = {}
# B.2.1 and B.2.3 are signed with test-key-rsa-pss, which the targets do not know: the
# signature bytes do not matter, the seeds are there for their Signature-Input.
RSA_PLACEHOLDER = b64(bytes(256))
verify['rfc_b21_minimal_rsa.txt'] = seed('now=1618884473', RFC_HEAD +
    'Signature-Input: sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"\n'
    f'Signature: sig-b21=:{RSA_PLACEHOLDER}:\n')
verify['rfc_b23_full_rsa.txt'] = seed('now=1618884473 @method @path @query', RFC_HEAD +
    'Signature-Input: sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"\n'
    f'Signature: sig-b23=:{RSA_PLACEHOLDER}:\n')
verify['rfc_b25_hmac.txt'] = seed('now=1618884480 max-age=60 date @authority content-type', RFC_HEAD +
    'Signature-Input: sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"\n'
    'Signature: sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:\n')
verify['rfc_b26_ed25519.txt'] = seed('now=1618884473 @method @path @authority label=sig-b26', RFC_HEAD +
    'Signature-Input: sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"\n'
    'Signature: sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:\n')
verify['rfc_b26_tampered_path.txt'] = verify['rfc_b26_ed25519.txt'].replace('POST /foo?', 'POST /bar?')

# Every derived component, HMAC, origin-form behind TLS (scheme hint https).
target = '/orders/7?id=42&Pet=dog&note=a+b%20c'
params = ('("@method" "@target-uri" "@authority" "@scheme" "@request-target" "@path" "@query" '
          '"@query-param";name="Pet" "@query-param";name="note" "content-digest" "content-type")'
          f';created={NOW};expires={NOW + 300};nonce="n-1";alg="hmac-sha256";keyid="test-shared-secret";tag="app"')
lines = [('"@method"', 'PUT'), ('"@target-uri"', f'https://api.example.com{target}'),
         ('"@authority"', 'api.example.com'), ('"@scheme"', 'https'),
         ('"@request-target"', target), ('"@path"', '/orders/7'),
         ('"@query"', '?id=42&Pet=dog&note=a+b%20c'), ('"@query-param";name="Pet"', 'dog'),
         ('"@query-param";name="note"', 'a%20b%20c'), ('"content-digest"', SHA256),
         ('"content-type"', 'application/json')]
verify['hmac_every_component.txt'] = seed(
    'https @target-uri content-digest @query-param;name="Pet" @Method',
    f'PUT {target} HTTP/1.1\nHost: API.example.com:443\nContent-Type: application/json\n'
    f'Content-Digest: {SHA256}\n' + signed(lines, params, hs))

# Ed25519, absolute-form target with a port, header lines combined and trimmed.
params = f'("@target-uri" "@authority" "cache-control" "x-empty");created={NOW - 100};keyid="test-key-ed25519";alg="ed25519"'
lines = [('"@target-uri"', 'http://example.org:8080/a/b?x=1'), ('"@authority"', 'example.org:8080'),
         ('"cache-control"', 'max-age=60, must-revalidate'), ('"x-empty"', '')]
verify['ed25519_absolute_form.txt'] = seed(
    '@authority cache-control max-age=120',
    'GET HTTP://Example.ORG:8080/a/b?x=1 HTTP/1.1\nHost: ignored.example\n'
    'Cache-Control:    max-age=60  \nCache-Control: \tmust-revalidate\nX-Empty:\n' + signed(lines, params, ed), '')

# Two signatures: the first under an unknown key, the second valid; field lines split.
params = f'("@method" "@authority" "@query-param";name="id");created={NOW};keyid="test-shared-secret"'
lines = [('"@method"', 'GET'), ('"@authority"', 'example.com:8443'), ('"@query-param";name="id"', '7')]
base = ''.join(f'{c}: {v}\n' for c, v in lines) + f'"@signature-params": {params}'
verify['two_signatures.txt'] = seed(
    'optional-created @method',
    'GET /items?id=7&ID=8 HTTP/1.1\nHost: example.com:8443\n'
    'Signature-Input: proxy=("@method");keyid="unknown-key"\n'
    f'Signature-Input: sig2={params}\n'
    'Signature: proxy=:AAAA:\n'
    f'Signature: sig2=:{hs(base)}:\n', '')

# CONNECT and @request-target, no created.
params = '("@method" "@request-target" "@authority");keyid="test-shared-secret"'
lines = [('"@method"', 'CONNECT'), ('"@request-target"', 'example.com:443'), ('"@authority"', 'example.com:443')]
verify['connect_no_created.txt'] = seed(
    'optional-created @request-target',
    'CONNECT example.com:443 HTTP/1.1\nHost: example.com:443\n' + signed(lines, params, hs), '')

# Refused for one reason each.
def refused(policy, sig_input, sig='sig1=:AAAA:', head='GET /p?a=1&a=2 HTTP/1.1\nHost: example.com\nContent-Type: text/plain\n'):
    return seed(policy, head + f'Signature-Input: {sig_input}\nSignature: {sig}\n', '')
verify['duplicate_component.txt'] = refused('', f'sig1=("@method" "@method");created={NOW};keyid="test-shared-secret"')
verify['component_parameters.txt'] = refused('', f'sig1=("content-type";sf "content-type";bs "@method";req "@query-param";name="a";tr);created={NOW};keyid="test-shared-secret"')
verify['nameless_query_param.txt'] = refused('@query-param', f'sig1=("@query-param" "@query-param";name=a);created={NOW};keyid="test-key-ed25519"')
verify['ambiguous_query_param.txt'] = refused('', f'sig1=("@query-param";name="a");created={NOW};keyid="test-shared-secret"')
verify['uppercase_field.txt'] = refused('', f'sig1=("Content-Type" "@status");created={NOW};keyid="test-shared-secret"')
verify['alg_mismatch.txt'] = refused('', f'sig1=("@method");created={NOW};keyid="test-shared-secret";alg="ed25519"')
verify['mistyped_params.txt'] = refused('', f'sig1=("@method");created=1.5;expires=-1;nonce=token;keyid=test-shared-secret')
verify['from_the_future.txt'] = refused('', f'sig1=("@method");created={NOW + 6};keyid="test-shared-secret"')
verify['expired.txt'] = refused('', f'sig1=("@method");created={NOW};expires={NOW - 1};keyid="test-shared-secret"')
verify['not_inner_list.txt'] = refused('', 'sig1="@method";keyid="test-shared-secret", sig2=?1', 'sig1=("a"), sig2=:AAAA:')
verify['signature_not_bytes.txt'] = refused('', f'sig1=("@method");created={NOW};keyid="test-shared-secret"', 'sig1="AAAA"')
verify['label_not_found.txt'] = refused('label=sig9', f'sig1=();created={NOW};keyid="test-shared-secret"')
verify['huge_integer.txt'] = refused('', 'sig1=();created=9999999999999999;keyid="test-shared-secret"')
verify['signature_inner_list.txt'] = refused('', f'sig1=("@method");created={NOW};keyid="test-shared-secret"', 'sig1=(:AAAA:)')
# The 8 KiB bound of structured fields: over it in field lines, and only once they are
# joined with ", " (8192 bytes in two lines, 8194 joined).
verify['field_lines_over_8k.txt'] = refused('', f'sig1=("@method");created={NOW};keyid="test-shared-secret";tag="{"t" * 4096}"\nSignature-Input: sig2=();tag="{"u" * 4096}"')
verify['bad_host.txt'] = refused('', f'sig1=("@authority");created={NOW};keyid="test-shared-secret"',
                                 head='GET /p HTTP/1.1\nHost: exa mple.com:99999\nHost: example.com\n')

# Content-Digest variants.
def digest(value, body=BODY):
    return seed('', f'POST /d HTTP/1.1\nHost: example.com\nContent-Digest: {value}\n', body)
verify['digest_sha256_sha512.txt'] = digest(f'{SHA256}, {SHA512}')
verify['digest_two_lines.txt'] = digest(f'md5=:AAAAAAAAAAAAAAAAAAAAAA==:, {SHA256}\nContent-Digest: {SHA512}')
verify['digest_md5_only.txt'] = digest('md5=:AAAAAAAAAAAAAAAAAAAAAA==:, crc32c=:AAAAAA==:')
verify['digest_unpadded.txt'] = digest('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:')
verify['digest_mismatch.txt'] = digest(SHA256, '{"hello": "world!"}')
verify['digest_duplicate_key.txt'] = digest(f'sha-256=:AAAA:, {SHA256}')
verify['digest_not_bytes.txt'] = digest('sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", sha-512=(:AAAA:)')
verify['field_joined_over_8k.txt'] = digest('sha-256=:' + 'A' * 4086 + ':\nContent-Digest: sha-512=:' + 'B' * 4086 + ':')
verify['digest_empty_body.txt'] = digest('sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:', '')

# signature_resign: a policy line and a request; the target signs it.
resign = {
    'rfc_b2_request.txt': seed('@method @path @authority content-type alg nonce=b3k2pp5k7z-50gnwp.yemd', RFC_HEAD),
    'absolute_form_https.txt': seed('cover=date select label=sig-b26 age=30 expires=60 @authority',
        'GET https://Example.COM:8443/p/q?x=1&y=%20z#frag HTTP/1.1\nHost: other.example\nDate: Tue, 20 Apr 2021 02:07:55 GMT\n', ''),
    'default_ports.txt': seed('https cover=host order=77',
        'GET /a?b=c HTTP/1.1\nHost: Example.COM:0443\n', ''),
    'ipv6_host.txt': seed('cover=x-custom order=119 @AUTHORITY tag=app',
        'DELETE /a/%2E%2e/b;p?q HTTP/1.1\nHost: [2001:DB8::1]:80\nX-Custom:   spaced value\t\n', ''),
    'combined_lines.txt': seed('cover=cache-control max-age=10 age=10',
        'GET /p? HTTP/1.1\nHost: example.com:80\nCache-Control: max-age=60\nCache-Control:    must-revalidate\nCache-Control:\n', ''),
    'no_host.txt': seed('', 'GET /p HTTP/1.1\nContent-Type: text/plain\n', ''),
    'absent_header.txt': seed('cover=x-absent', 'GET /p HTTP/1.1\nHost: example.com\n', ''),
    'obs_text_header.txt': seed('', 'GET /p HTTP/1.1\nHost: example.com\nContent-Type: caf\xe9\n', ''),
    'missing_component.txt': seed('content-digest @query-param;name="id"', RFC_HEAD),
    'too_old.txt': seed('age=301', RFC_HEAD),
    'from_the_future.txt': seed('age=-6', RFC_HEAD),
    'expired.txt': seed('expires=-1', RFC_HEAD),
    'no_created.txt': seed('no-created optional-created', RFC_HEAD),
    'wrong_alg.txt': seed('wrong-alg', RFC_HEAD),
    'escaped_nonce.txt': seed('nonce=a"b\\c tag=\\"', RFC_HEAD),
    'cover_signature_input.txt': seed('cover=signature-input', RFC_HEAD),
    'custom_method.txt': seed('', 'M-SEARCH /p%20q?x HTTP/1.1\nHost: EXAMPLE.com:8080\nContent-Type: a\n', ''),
}

for target, seeds in (('signature_verify', verify), ('signature_resign', resign)):
    out = f'fuzz/seeds/{target}'
    os.makedirs(out, exist_ok=True)
    for name, text in seeds.items():
        open(os.path.join(out, name), 'wb').write(text.encode('latin-1'))
    print(target, {n: len(t) for n, t in seeds.items()})
