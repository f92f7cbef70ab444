//! TLS termination with rustls: TLS 1.2 and 1.3 only, a default certificate plus more chosen
//! by SNI, ALPN for HTTP/2, and optional client-certificate verification whose verified
//! identity (subject, SANs) is handed to policies.

use parapet_config::{CertKey, ClientAuth, Tls};
use parapet_policy::ClientCert;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use sha2::Digest;
use std::sync::Arc;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// Builds the rustls server config of a listener.
pub fn server_config(tls: &Tls) -> Result<Arc<ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("tls: {e}"))?;
    let builder = match &tls.client_ca {
        None => builder.with_no_client_auth(),
        Some(cas) => {
            let mut roots = RootCertStore::empty();
            for ca in cas {
                roots
                    .add(ca.clone())
                    .map_err(|e| format!("client_ca: {e}"))?;
            }
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
            let verifier = match tls.client_auth {
                ClientAuth::Required => verifier,
                ClientAuth::Optional => verifier.allow_unauthenticated(),
            };
            builder
                .with_client_cert_verifier(verifier.build().map_err(|e| format!("client_ca: {e}"))?)
        }
    };
    let default = certified_key(&tls.default_cert, &provider)?;
    let mut by_name = Vec::new();
    for ck in &tls.sni {
        let key = certified_key(ck, &provider)?;
        let names = dns_names(ck.chain.first().map(|c| c.as_ref()).unwrap_or_default());
        if names.is_empty() {
            return Err(format!(
                "{}: the certificate names no DNS host, so SNI cannot select it",
                ck.cert_path.display()
            ));
        }
        by_name.extend(names.into_iter().map(|n| (n, key.clone())));
    }
    let mut config = builder.with_cert_resolver(Arc::new(SniResolver { default, by_name }));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn certified_key(ck: &CertKey, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, String> {
    let key =
        CertifiedKey::from_der(ck.chain.clone(), ck.key.clone_key(), provider).map_err(|e| {
            format!(
                "{}: certificate and key do not form a usable pair: {e}",
                ck.cert_path.display()
            )
        })?;
    Ok(Arc::new(key))
}

/// Picks the certificate whose name matches the SNI host (exact, or one-label wildcard),
/// falling back to the default certificate.
#[derive(Debug)]
struct SniResolver {
    default: Arc<CertifiedKey>,
    by_name: Vec<(String, Arc<CertifiedKey>)>,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let Some(sni) = hello.server_name().map(str::to_ascii_lowercase) else {
            return Some(self.default.clone());
        };
        let exact = self.by_name.iter().find(|(n, _)| *n == sni);
        let wildcard = || {
            let parent = sni.split_once('.').map(|(_, p)| p)?;
            self.by_name
                .iter()
                .find(|(n, _)| n.strip_prefix("*.") == Some(parent))
        };
        Some(
            exact
                .or_else(wildcard)
                .map_or_else(|| self.default.clone(), |(_, k)| k.clone()),
        )
    }
}

fn dns_names(der: &[u8]) -> Vec<String> {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return Vec::new();
    };
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(d.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// The verified client certificate of a connection, if one was presented.
pub fn client_cert(conn: &rustls::ServerConnection) -> Option<ClientCert> {
    let leaf = conn.peer_certificates()?.first()?;
    let (_, cert) = X509Certificate::from_der(leaf.as_ref()).ok()?;
    let sans = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(d) => Some(format!("DNS:{d}")),
                GeneralName::URI(u) => Some(format!("URI:{u}")),
                GeneralName::RFC822Name(e) => Some(format!("email:{e}")),
                GeneralName::IPAddress(ip) => ip_text(ip).map(|ip| format!("IP:{ip}")),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(ClientCert {
        subject: cert.subject().to_string(),
        sans,
        sha256: sha2::Sha256::digest(leaf.as_ref()).into(),
    })
}

fn ip_text(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}
