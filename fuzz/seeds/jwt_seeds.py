#!/usr/bin/env python3
# Writes the seeds of the jwt_verify and jwt_claims fuzz targets (standard library and the
# openssl CLI only). Run from the repository root: python3 fuzz/seeds/jwt_seeds.py
# Valid tokens expire in 2100; the keys are the test-only ones of parapet-identity.
import base64, hmac, hashlib, json, subprocess, os, tempfile
KEYDIR='crates/parapet-identity/tests/data/jwt'
SECRET=b"0123456789abcdef0123456789abcdef"
HS="https://hs.issuer.test"; ED="https://ed.issuer.test"; AUD="parapet-fuzz"
EXP=4102444800; IAT=1700000000
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b'=').decode()
def enc(o): return b64(json.dumps(o, separators=(',',':')).encode()) if not isinstance(o,(bytes,str)) else b64(o.encode() if isinstance(o,str) else o)
def hs(msg): return b64(hmac.new(SECRET,msg.encode(),hashlib.sha256).digest())
def ed(msg):
    with tempfile.NamedTemporaryFile() as f:
        f.write(msg.encode()); f.flush()
        sig=subprocess.run(['openssl','pkeyutl','-sign','-inkey',f'{KEYDIR}/ed25519.key','-rawin','-in',f.name],check=True,capture_output=True).stdout
    return b64(sig)
def tok(h,p,signer):
    m=enc(h)+'.'+enc(p)
    return m+'.'+(signer(m) if signer else '')
hs_claims={"iss":HS,"aud":AUD,"sub":"user-1","exp":EXP,"iat":IAT,"nbf":IAT,"scope":"orders:read orders:write","roles":["admin"]}
ed_claims={"iss":ED,"sub":"svc-7","exp":EXP,"iat":IAT,"scp":["a","b"],"nested":{"owner":{"id":"o1"}}}
out='fuzz/seeds/jwt_verify'
seeds={
 'hs256_valid.txt': tok({"alg":"HS256","typ":"JWT"},hs_claims,hs),
 'hs256_kid_aud_array.txt': tok({"alg":"HS256","kid":"any"},dict(hs_claims,aud=["other",AUD]),hs),
 'hs256_float_exp.txt': tok({"alg":"HS256"},{"iss":HS,"aud":AUD,"exp":4102444800.4,"iat":1.7e9},hs),
 'eddsa_valid.txt': tok({"alg":"EdDSA","typ":"JWT","kid":"ed25519"},ed_claims,ed),
 'eddsa_no_kid.txt': tok({"alg":"EdDSA"},{"iss":ED,"exp":EXP},ed),
 'eddsa_over_issuer_limit.txt': tok({"alg":"EdDSA","kid":"ed25519"},dict(ed_claims,pad="x"*1100),ed),
 'alg_none.txt': tok({"alg":"none","typ":"JWT"},hs_claims,None),
 'alg_none_case.txt': tok({"alg":"nOnE"},hs_claims,None)+'',
 'jku_attacker.txt': tok({"alg":"HS256","jku":"https://attacker.example/jwks.json","kid":"evil"},hs_claims,hs),
 'x5u_jwk_crit.txt': tok({"alg":"EdDSA","kid":"ed25519","x5u":"https://attacker.example/c.pem","jwk":{"kty":"oct","k":b64(b"k")},"crit":["b64"]},ed_claims,ed),
 'eddsa_embedded_keys.txt': tok({"alg":"EdDSA","kid":"ed25519","x5u":"https://attacker.example/c.pem","jwk":{"kty":"OKP","crv":"Ed25519","x":b64(bytes(32))},"x5c":["MIIB"]},ed_claims,ed),
 'crit_null.txt': tok({"alg":"EdDSA","kid":"ed25519","crit":None},ed_claims,ed),
 'eddsa_unknown_kid.txt': tok({"alg":"EdDSA","kid":"other"},{"iss":ED,"exp":EXP},ed),
 'hs_header_ed_issuer.txt': tok({"alg":"HS256"},{"iss":ED,"exp":EXP},hs),
 'expired.txt': tok({"alg":"HS256"},dict(hs_claims,exp=IAT),hs),
 'no_exp.txt': tok({"alg":"HS256"},{k:v for k,v in hs_claims.items() if k!="exp"},hs),
 'iss_array.txt': tok({"alg":"HS256"},dict(hs_claims,iss=[HS]),hs),
 'wrong_aud.txt': tok({"alg":"HS256"},dict(hs_claims,aud="api"),hs),
 'duplicate_iss.txt': enc({"alg":"HS256"})+'.'+b64(('{"iss":"%s","iss":"%s","exp":%d,"aud":"%s"}'%(ED,HS,EXP,AUD)).encode())+'.sig',
 'json_array_payload.txt': enc({"alg":"HS256"})+'.'+b64(json.dumps([EXP,0,"s",HS,AUD]).encode())+'.c2ln',
 'padded_base64.txt': base64.urlsafe_b64encode(b'{"alg":"HS256"}').decode()+'.'+base64.urlsafe_b64encode(json.dumps(hs_claims).encode()).decode()+'.AAAA==',
 'four_parts.txt': 'eyJhbGciOiJIUzI1NiJ9.e30.e30.c2ln',
 'empty_parts.txt': '..',
 'opaque.txt': 'opaque-token_0123456789',
 'garbage.bin': None,
 'huge.txt': tok({"alg":"HS256"},dict(hs_claims,pad="A"*4000),hs),
}
os.makedirs(out,exist_ok=True)
for name,t in seeds.items():
    if t is None:
        open(os.path.join(out,name),'wb').write(bytes([0xff,0xfe,0x2e,0x00,0x2e,0xc3,0x28,0x7b,0x22,0x2e,0x80]))
    else:
        open(os.path.join(out,name),'w').write(t)
print({n:len(t or '') for n,t in seeds.items()})

# jwt_claims: "<header JSON>\n<claims JSON>", or only claims (signed under both default headers).
out='fuzz/seeds/jwt_claims'
os.makedirs(out,exist_ok=True)
J=lambda o: json.dumps(o, separators=(',',':'))
claims={
 'hs_valid.txt': J({"alg":"HS256","typ":"JWT"})+'\n'+J(hs_claims),
 'ed_valid.txt': J({"alg":"EdDSA","kid":"ed25519"})+'\n'+J(ed_claims),
 'claims_only_hs.txt': J(hs_claims),
 'claims_only_ed.txt': J(ed_claims),
 'exp_string.txt': J({"iss":HS,"aud":AUD,"exp":str(EXP)}),
 'exp_negative.txt': J({"iss":ED,"exp":-1}),
 'exp_float_huge.txt': '{"iss":"%s","exp":1.8446744073709552e19}'%ED,
 'exp_bigint.txt': '{"iss":"%s","exp":184467440737095516160000}'%ED,
 'exp_null.txt': '{"iss":"%s","exp":null}'%ED,
 'exp_duplicate.txt': '{"iss":"%s","exp":1,"exp":%d}'%(ED,EXP),
 'nbf_future.txt': J({"iss":ED,"exp":EXP,"nbf":EXP-10}),
 'nbf_string.txt': J({"iss":ED,"exp":EXP,"nbf":"0"}),
 'iat_future.txt': J({"iss":ED,"exp":EXP,"iat":EXP-10}),
 'iat_float.txt': J({"iss":ED,"exp":EXP,"iat":1.5e9}),
 'iat_duplicate.txt': '{"iss":"%s","exp":%d,"iat":%d,"iat":1}'%(ED,EXP,EXP),
 'iss_escaped.txt': '{"iss":"https:\\/\\/hs.issuer.test","aud":"%s","exp":%d}'%(AUD,EXP),
 'iss_unicode_escape.txt': '{"iss":"https://ed.issuer.t\\u0065st","exp":%d}'%EXP,
 'iss_array.txt': J({"iss":[ED],"exp":EXP}),
 'iss_both.txt': '{"iss":"%s","iss":"%s","exp":%d}'%(HS,ED,EXP),
 'aud_array_mixed.txt': J({"iss":HS,"aud":[1,AUD],"exp":EXP}),
 'aud_empty_array.txt': J({"iss":HS,"aud":[],"exp":EXP}),
 'aud_on_ed.txt': J({"iss":ED,"aud":"anyone","exp":EXP}),
 'sub_number.txt': J({"iss":ED,"sub":42,"exp":EXP}),
 'alg_none.txt': J({"alg":"none"})+'\n'+J(ed_claims),
 'alg_lowercase.txt': J({"alg":"hs256"})+'\n'+J(hs_claims),
 'alg_hs_for_ed.txt': J({"alg":"HS256"})+'\n'+J(ed_claims),
 'alg_duplicate.txt': '{"alg":"EdDSA","alg":"HS256"}\n'+J(hs_claims),
 'alg_escaped.txt': '{"alg":"Ed\\u0044SA","kid":"ed25519"}\n'+J(ed_claims),
 'crit.txt': J({"alg":"EdDSA","crit":["exp"]})+'\n'+J(ed_claims),
 'crit_null.txt': '{"alg":"EdDSA","crit":null}\n'+J(ed_claims),
 'kid_other.txt': J({"alg":"EdDSA","kid":"attacker"})+'\n'+J(ed_claims),
 'kid_number.txt': '{"alg":"HS256","kid":7}\n'+J(hs_claims),
 'jku_jwk.txt': J({"alg":"EdDSA","jku":"https://attacker.example/jwks","jwk":{"kty":"OKP","crv":"Ed25519","x":b64(bytes(32))}})+'\n'+J(ed_claims),
 'header_array.txt': '["HS256"]\n'+J(hs_claims),
 'payload_array.txt': '{"alg":"HS256"}\n'+J([EXP,0,"s",HS,AUD]),
 'whitespace.txt': '{"alg":"HS256"}\n \t\r\n{ "iss" : "%s" , "aud" : "%s" , "exp" : %d }'%(HS,AUD,EXP),
 'bom.txt': '{"alg":"HS256"}\n\ufeff'+J(hs_claims),
 'deep_nesting.txt': '{"iss":"%s","exp":%d,"x":%s}'%(ED,EXP,'['*200+']'*200),
 'lone_surrogate.txt': '{"iss":"%s","exp":%d,"sub":"\\ud800"}'%(ED,EXP),
}
for name,t in claims.items():
    open(os.path.join(out,name),'w').write(t)
print(len(claims),"jwt_claims seeds")
