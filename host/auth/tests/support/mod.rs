//! Test fixtures: real signing keys and a JWKS endpoint on a loopback port that counts
//! its fetches. Tokens are signed here with `ring` directly, independently of the
//! verifier's own crypto library.
#![allow(dead_code)] // each test binary uses a different part of the fixtures

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use papyr_auth::{OidcConfig, OidcVerifier};
use ring::rand::SystemRandom;
use ring::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents,
};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const ISSUER: &str = "https://idp.papyr.test/realms/papyr";
pub const AUDIENCE: &str = "papyr-api";

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Claims every provider's token would carry, valid for five minutes.
pub fn claims() -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now(),
        "exp": now() + 300,
        "papyr_tenant": "acme",
        "roles": ["approver"],
        "email": "ada@acme.test",
    })
}

/// Assembles a compact JWS from a header, claims and an arbitrary signer.
pub fn assemble(header: &Value, claims: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let input = format!(
        "{}.{}",
        b64(serde_json::to_vec(header).unwrap()),
        b64(serde_json::to_vec(claims).unwrap())
    );
    let signature = sign(input.as_bytes());
    format!("{input}.{}", b64(signature))
}

enum Signer {
    Rsa(Arc<RsaKeyPair>, &'static dyn signature::RsaEncoding),
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A real private key, its JWS algorithm name and its public JWK (without `kid`).
pub struct TestKey {
    pub alg: &'static str,
    signer: Signer,
    jwk: Value,
}

/// The RSA key is made by the `openssl` CLI once per test binary (2048-bit generation
/// is the slow part); DER (`openssl pkey` writes RSA keys as PKCS#1) for ring, the
/// public PEM for the confusion attack.
pub struct RsaMaterial {
    pair: Arc<RsaKeyPair>,
    pub public_pem: Vec<u8>,
}

pub fn rsa_material() -> &'static RsaMaterial {
    static RSA: OnceLock<RsaMaterial> = OnceLock::new();
    RSA.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let pem = dir.path().join("key.pem");
        let der = dir.path().join("key.der");
        let public = dir.path().join("public.pem");
        let openssl = |args: &[&str]| {
            let status = std::process::Command::new("openssl")
                .args(args)
                .stderr(std::process::Stdio::null())
                .status()
                .expect("the openssl CLI is needed to generate the test RSA key");
            assert!(status.success(), "openssl {args:?}");
        };
        let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &path(&pem),
        ]);
        openssl(&[
            "pkey",
            "-in",
            &path(&pem),
            "-outform",
            "DER",
            "-out",
            &path(&der),
        ]);
        openssl(&[
            "pkey",
            "-in",
            &path(&pem),
            "-pubout",
            "-out",
            &path(&public),
        ]);
        let pair = RsaKeyPair::from_der(&std::fs::read(der).unwrap()).unwrap();
        RsaMaterial {
            pair: Arc::new(pair),
            public_pem: std::fs::read(public).unwrap(),
        }
    })
}

impl TestKey {
    pub fn rs256() -> TestKey {
        Self::rsa("RS256", &signature::RSA_PKCS1_SHA256)
    }

    pub fn ps256() -> TestKey {
        Self::rsa("PS256", &signature::RSA_PSS_SHA256)
    }

    pub fn rs512() -> TestKey {
        Self::rsa("RS512", &signature::RSA_PKCS1_SHA512)
    }

    fn rsa(alg: &'static str, encoding: &'static dyn signature::RsaEncoding) -> TestKey {
        let pair = Arc::clone(&rsa_material().pair);
        let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
        TestKey {
            alg,
            jwk: json!({ "kty": "RSA", "use": "sig", "n": b64(&public.n), "e": b64(&public.e) }),
            signer: Signer::Rsa(pair, encoding),
        }
    }

    pub fn es256() -> TestKey {
        Self::ecdsa(
            "ES256",
            "P-256",
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        )
    }

    pub fn es384() -> TestKey {
        Self::ecdsa(
            "ES384",
            "P-384",
            &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        )
    }

    fn ecdsa(
        alg: &'static str,
        curve: &str,
        signing: &'static signature::EcdsaSigningAlgorithm,
    ) -> TestKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref(), &rng).unwrap();
        // Uncompressed point: 0x04 || x || y.
        let point = pair.public_key().as_ref();
        let half = (point.len() - 1) / 2;
        TestKey {
            alg,
            jwk: json!({
                "kty": "EC",
                "crv": curve,
                "x": b64(&point[1..1 + half]),
                "y": b64(&point[1 + half..]),
            }),
            signer: Signer::Ecdsa(pair),
        }
    }

    pub fn ed25519() -> TestKey {
        let rng = SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        TestKey {
            alg: "EdDSA",
            jwk: json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key()) }),
            signer: Signer::Ed25519(pair),
        }
    }

    pub fn jwk(&self, kid: &str) -> Value {
        let mut jwk = self.jwk.clone();
        jwk["kid"] = json!(kid);
        jwk
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Rsa(pair, encoding) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(*encoding, &rng, message, &mut signature).unwrap();
                signature
            }
            Signer::Ecdsa(pair) => pair.sign(&rng, message).unwrap().as_ref().to_vec(),
            Signer::Ed25519(pair) => pair.sign(message).as_ref().to_vec(),
        }
    }

    /// A token with header `{alg, kid, typ}` signed by this key.
    pub fn token(&self, kid: &str, claims: &Value) -> String {
        self.token_with_header(
            &json!({ "alg": self.alg, "kid": kid, "typ": "JWT" }),
            claims,
        )
    }

    pub fn token_with_header(&self, header: &Value, claims: &Value) -> String {
        assemble(header, claims, |input| self.sign(input))
    }
}

pub fn jwks(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

/// A JWKS endpoint: serves whatever body and status it is told to, optionally slowly,
/// and counts requests.
#[derive(Clone)]
pub struct JwksServer {
    pub url: String,
    state: Arc<ServerState>,
}

struct ServerState {
    body: Mutex<String>,
    status: AtomicU16,
    delay_ms: AtomicU64,
    fetches: AtomicUsize,
}

impl JwksServer {
    pub async fn start(body: String) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/certs", listener.local_addr().unwrap());
        let state = Arc::new(ServerState {
            body: Mutex::new(body),
            status: AtomicU16::new(200),
            delay_ms: AtomicU64::new(0),
            fetches: AtomicUsize::new(0),
        });
        let serving = Arc::clone(&state);
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(respond(socket, Arc::clone(&serving)));
            }
        });
        JwksServer { url, state }
    }

    pub fn fetches(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }

    pub fn serve(&self, body: String) {
        *self.state.body.lock().unwrap() = body;
    }

    pub fn set_status(&self, status: u16) {
        self.state.status.store(status, Ordering::SeqCst);
    }

    pub fn set_delay(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }
}

async fn respond(mut socket: tokio::net::TcpStream, state: Arc<ServerState>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    state.fetches.fetch_add(1, Ordering::SeqCst);
    let delay = state.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = state.status.load(Ordering::SeqCst);
    let body = state.body.lock().unwrap().clone();
    let response = format!(
        "HTTP/1.1 {status} Test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

pub fn config(url: &str) -> OidcConfig {
    OidcConfig::new(ISSUER, AUDIENCE, url)
}

pub fn verifier(config: OidcConfig) -> OidcVerifier {
    OidcVerifier::new(config, reqwest::Client::new()).expect("valid test configuration")
}
