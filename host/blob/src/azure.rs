//! Azure Blob Storage over its REST API with Shared Key authorization.
//!
//! Only the four operations Papyr needs: Put Blob (single-shot block blob), Get Blob,
//! Get Blob Properties and Create Container. Requests are signed by hand (HMAC-SHA256 over
//! the canonical string-to-sign) instead of pulling in the Azure SDK.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, StatusCode, Url};
use sha2::Sha256;

use crate::BlobError;

/// Environment variable holding the base64 account key when the URL has no `key=`.
pub const AZURE_KEY_ENV: &str = "PAPYR_STORAGE__AZURE_KEY";

/// Largest blob sent as one Put Blob request. Documents and reports are far smaller; the
/// service itself accepts up to 5000 MiB per Put Blob, but a single request of that size
/// would not finish within the request timeout.
pub const MAX_AZURE_PUT_BYTES: usize = 256 * 1024 * 1024;

/// Storage REST version we sign for; Azurite is started with --skipApiVersionCheck.
const API_VERSION: &str = "2021-08-06";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const ATTEMPTS: u32 = 3;

/// Programmatic configuration; [`AzureStore::from_url`] builds one from a storage URL.
#[derive(Clone)]
pub struct AzureConfig {
    pub account: String,
    pub container: String,
    /// Blob service endpoint. `None` means `https://<account>.blob.core.windows.net`.
    /// An endpoint with a path (Azurite: `http://127.0.0.1:10000/devstoreaccount1`) is
    /// used path-style: blobs live at `<endpoint>/<container>/<key>`.
    pub endpoint: Option<String>,
    /// Base64 account key, as shown in the Azure portal.
    pub key: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl AzureConfig {
    pub fn new(account: &str, container: &str, key: &str) -> AzureConfig {
        AzureConfig {
            account: account.to_owned(),
            container: container.to_owned(),
            endpoint: None,
            key: key.to_owned(),
            connect_timeout: CONNECT_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
        }
    }
}

impl fmt::Debug for AzureConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureConfig")
            .field("account", &self.account)
            .field("container", &self.container)
            .field("endpoint", &self.endpoint)
            .field("key", &"<redacted>")
            .finish()
    }
}

#[derive(Clone)]
pub struct AzureStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    account: String,
    /// `<endpoint>/<container>`, no trailing slash.
    container_url: Url,
    key: Vec<u8>,
}

impl fmt::Debug for AzureStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureStore")
            .field("account", &self.inner.account)
            .field("container_url", &self.inner.container_url.as_str())
            .finish_non_exhaustive()
    }
}

impl AzureStore {
    pub fn new(config: AzureConfig) -> Result<AzureStore, BlobError> {
        let invalid = |msg: String| Err(BlobError::InvalidUrl(msg));
        let account = config.account;
        if !(3..=24).contains(&account.len())
            || !account
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return invalid(format!(
                "Azure account name {account:?} must be 3-24 lowercase letters and digits"
            ));
        }
        let container = config.container;
        if !valid_container(&container) {
            return invalid(format!(
                "Azure container name {container:?} must be 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit"
            ));
        }
        // Never echo the key: not even a prefix of it.
        let key = match BASE64.decode(config.key.trim()) {
            Ok(key) if !key.is_empty() => key,
            _ => return invalid("the Azure account key is not valid base64".into()),
        };

        let endpoint = config
            .endpoint
            .unwrap_or_else(|| format!("https://{account}.blob.core.windows.net"));
        let endpoint_url = Url::parse(&endpoint)
            .map_err(|e| BlobError::InvalidUrl(format!("Azure endpoint {endpoint:?}: {e}")))?;
        if !matches!(endpoint_url.scheme(), "http" | "https") || endpoint_url.host().is_none() {
            return invalid(format!(
                "Azure endpoint {endpoint:?} must be an http:// or https:// URL"
            ));
        }
        if !endpoint_url.username().is_empty()
            || endpoint_url.password().is_some()
            || endpoint_url.query().is_some()
            || endpoint_url.fragment().is_some()
        {
            return invalid(
                "the Azure endpoint must not carry credentials, a query or a fragment".into(),
            );
        }
        let base = endpoint_url.as_str().trim_end_matches('/');
        let container_url = Url::parse(&format!("{base}/{container}"))
            .map_err(|e| BlobError::InvalidUrl(format!("Azure endpoint {endpoint:?}: {e}")))?;

        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| BlobError::InvalidUrl(format!("cannot set up the HTTP client: {e}")))?;

        Ok(AzureStore {
            inner: Arc::new(Inner {
                client,
                account,
                container_url,
                key,
            }),
        })
    }

    /// `azure://<account>/<container>?endpoint=<url>&key=<base64>`; both parameters are
    /// optional, the key falling back to [`AZURE_KEY_ENV`].
    pub fn from_url(url: &str) -> Result<AzureStore, BlobError> {
        // Error messages must not repeat `url`: it may contain the key.
        let parsed = Url::parse(url)
            .map_err(|e| BlobError::InvalidUrl(format!("azure storage URL: {e}")))?;
        let usage = "expected azure://<account>/<container>[?endpoint=<url>][&key=<base64>]";
        if parsed.scheme() != "azure" {
            return Err(BlobError::InvalidUrl(usage.into()));
        }
        let account = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| BlobError::InvalidUrl(format!("missing account name: {usage}")))?;
        let container = parsed.path().trim_matches('/');
        if container.is_empty() || container.contains('/') {
            return Err(BlobError::InvalidUrl(format!(
                "the path must be exactly one container name: {usage}"
            )));
        }
        let mut endpoint = None;
        let mut key = None;
        for (name, value) in parsed.query_pairs() {
            match &*name {
                "endpoint" => endpoint = Some(value.into_owned()),
                // Form decoding turns an unescaped '+' into a space; base64 has no spaces,
                // so undo it rather than make people percent-encode the key.
                "key" => key = Some(value.replace(' ', "+")),
                other => {
                    return Err(BlobError::InvalidUrl(format!(
                        "unknown parameter {other:?} in azure storage URL: {usage}"
                    )));
                }
            }
        }
        let key = match key {
            Some(key) => key,
            None => std::env::var(AZURE_KEY_ENV).map_err(|_| {
                BlobError::InvalidUrl(format!(
                    "no Azure account key: set {AZURE_KEY_ENV} or add key=<base64> to the storage URL"
                ))
            })?,
        };
        let mut config = AzureConfig::new(account, container, &key);
        config.endpoint = endpoint;
        AzureStore::new(config)
    }

    pub(crate) fn describe(&self) -> String {
        format!("azure blob {}", self.inner.container_url)
    }

    fn blob_url(&self, key: &str) -> Url {
        // Keys are validated to [a-z0-9/._-], which need no percent-encoding.
        let mut url = self.inner.container_url.clone();
        url.set_path(&format!("{}/{key}", self.inner.container_url.path()));
        url
    }

    fn container_op_url(&self) -> Url {
        let mut url = self.inner.container_url.clone();
        url.set_query(Some("restype=container"));
        url
    }

    pub(crate) async fn put(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<(), BlobError> {
        if bytes.len() > MAX_AZURE_PUT_BYTES {
            return Err(BlobError::TooLarge {
                key: key.to_owned(),
                size: bytes.len(),
                limit: MAX_AZURE_PUT_BYTES,
            });
        }
        let content_type = if content_type.is_empty() {
            "application/octet-stream"
        } else {
            content_type
        };
        let op = format!("put {key}");
        let body = bytes::Bytes::copy_from_slice(bytes);
        let response = self
            .send(
                &op,
                Method::PUT,
                self.blob_url(key),
                Some((body, content_type)),
                &[("x-ms-blob-type", "BlockBlob")],
            )
            .await?;
        if response.status().is_success() {
            return Ok(());
        }
        Err(error_from(&op, response).await)
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let op = format!("get {key}");
        let response = self
            .send(&op, Method::GET, self.blob_url(key), None, &[])
            .await?;
        if response.status().is_success() {
            let body = response
                .bytes()
                .await
                .map_err(|source| transport(&op, source))?;
            return Ok(body.to_vec());
        }
        let err = error_from(&op, response).await;
        match &err {
            BlobError::Azure {
                status: 404, code, ..
            } if code.as_deref() == Some("BlobNotFound") => Err(BlobError::NotFound {
                key: key.to_owned(),
            }),
            _ => Err(err),
        }
    }

    pub(crate) async fn exists(&self, key: &str) -> Result<bool, BlobError> {
        let op = format!("check {key}");
        let response = self
            .send(&op, Method::HEAD, self.blob_url(key), None, &[])
            .await?;
        if response.status().is_success() {
            return Ok(true);
        }
        let err = error_from(&op, response).await;
        match &err {
            // A HEAD answer has no body; the code comes from x-ms-error-code. A missing
            // container is a configuration problem, not an absent blob.
            BlobError::Azure {
                status: 404, code, ..
            } if code.as_deref() != Some("ContainerNotFound") => Ok(false),
            _ => Err(err),
        }
    }

    pub(crate) async fn ensure_ready(&self) -> Result<(), BlobError> {
        let op = "create container".to_owned();
        let response = self
            .send(&op, Method::PUT, self.container_op_url(), None, &[])
            .await?;
        if response.status().is_success() {
            return Ok(());
        }
        let err = error_from(&op, response).await;
        match &err {
            BlobError::Azure {
                status: 409, code, ..
            } if code.as_deref() == Some("ContainerAlreadyExists") => Ok(()),
            _ => Err(err),
        }
    }

    pub(crate) async fn health(&self) -> Result<(), BlobError> {
        let op = "get container properties".to_owned();
        let response = self
            .send(&op, Method::HEAD, self.container_op_url(), None, &[])
            .await?;
        if response.status().is_success() {
            return Ok(());
        }
        Err(error_from(&op, response).await)
    }

    /// Sends a signed request, retrying connection failures, timeouts and 500/502/503/504:
    /// all our operations are idempotent, and Azure asks clients to retry those.
    async fn send(
        &self,
        op: &str,
        method: Method,
        url: Url,
        body: Option<(bytes::Bytes, &str)>,
        ms_headers: &[(&str, &str)],
    ) -> Result<reqwest::Response, BlobError> {
        let mut attempt = 1;
        loop {
            let request =
                self.signed_request(method.clone(), url.clone(), body.clone(), ms_headers);
            let retry_delay = Duration::from_millis(250 * 4u64.pow(attempt - 1));
            match request.send().await {
                Ok(response)
                    if attempt < ATTEMPTS
                        && matches!(
                            response.status(),
                            StatusCode::INTERNAL_SERVER_ERROR
                                | StatusCode::BAD_GATEWAY
                                | StatusCode::SERVICE_UNAVAILABLE
                                | StatusCode::GATEWAY_TIMEOUT
                        ) => {}
                Ok(response) => return Ok(response),
                Err(e) if attempt < ATTEMPTS && (e.is_connect() || e.is_timeout()) => {}
                Err(source) => return Err(transport(op, source)),
            }
            tokio::time::sleep(retry_delay).await;
            attempt += 1;
        }
    }

    fn signed_request(
        &self,
        method: Method,
        url: Url,
        body: Option<(bytes::Bytes, &str)>,
        ms_headers: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let date = http_date(SystemTime::now());
        let mut headers: Vec<(&str, &str)> = ms_headers.to_vec();
        headers.push(("x-ms-date", &date));
        headers.push(("x-ms-version", API_VERSION));
        let (length, content_type) = match &body {
            Some((bytes, ct)) => (bytes.len(), *ct),
            None => (0, ""),
        };
        let signature = sign(
            &self.inner.key,
            &string_to_sign(
                &method,
                &self.inner.account,
                &url,
                length,
                content_type,
                &headers,
            ),
        );
        let mut builder = self.inner.client.request(method.clone(), url);
        for (name, value) in &headers {
            builder = builder.header(*name, *value);
        }
        builder = builder.header(
            "Authorization",
            format!("SharedKey {}:{signature}", self.inner.account),
        );
        match body {
            // Explicit Content-Length: for an empty body the HTTP stack would otherwise send
            // none, and Azure rejects a PUT without one.
            Some((bytes, ct)) => builder
                .header(CONTENT_TYPE, ct)
                .header(CONTENT_LENGTH, bytes.len())
                .body(bytes),
            // Create Container is a PUT without a body.
            None if method == Method::PUT => builder.header(CONTENT_LENGTH, "0"),
            None => builder,
        }
    }
}

fn valid_container(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

/// The Shared Key string-to-sign for the Blob service (versions 2015-02-21 and later):
/// twelve standard header lines (Content-Length empty when zero; Date empty because we
/// send x-ms-date), then the x-ms-* headers sorted by name, then the canonical resource.
fn string_to_sign(
    method: &Method,
    account: &str,
    url: &Url,
    content_length: usize,
    content_type: &str,
    ms_headers: &[(&str, &str)],
) -> String {
    let length = if content_length == 0 {
        String::new()
    } else {
        content_length.to_string()
    };
    let mut out = String::with_capacity(256);
    // VERB, Content-Encoding, Content-Language, Content-Length, Content-MD5, Content-Type,
    // Date, If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since, Range.
    for line in [
        method.as_str(),
        "",
        "",
        &length,
        "",
        content_type,
        "",
        "",
        "",
        "",
        "",
        "",
    ] {
        out.push_str(line);
        out.push('\n');
    }

    let mut headers: Vec<(String, &str)> = ms_headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim()))
        .filter(|(n, _)| n.starts_with("x-ms-"))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in headers {
        out.push_str(&name);
        out.push(':');
        out.push_str(value);
        out.push('\n');
    }

    // The path already includes the account for path-style (Azurite) URLs, which is why
    // the account then appears twice: /devstoreaccount1/devstoreaccount1/container/blob.
    out.push('/');
    out.push_str(account);
    out.push_str(url.path());
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.into_owned()))
        .collect();
    params.sort();
    let mut i = 0;
    while i < params.len() {
        let name = &params[i].0;
        let mut values = Vec::new();
        while i < params.len() && params[i].0 == *name {
            values.push(params[i].1.as_str());
            i += 1;
        }
        out.push('\n');
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
    }
    out
}

fn sign(key: &[u8], string_to_sign: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

fn transport(op: &str, source: reqwest::Error) -> BlobError {
    BlobError::Transport {
        op: op.to_owned(),
        timeout: source.is_timeout(),
        // reqwest errors print the URL, which holds no secret (the key never goes in it).
        source,
    }
}

async fn error_from(op: &str, response: reqwest::Response) -> BlobError {
    let status = response.status().as_u16();
    let header_code = error_code_header(response.headers());
    // Error bodies are small XML documents; a failure to read one still leaves the status.
    let body = response.text().await.unwrap_or_default();
    let code = header_code.or_else(|| xml_element(&body, "Code").map(str::to_owned));
    let message = xml_element(&body, "Message")
        .and_then(|m| m.lines().next())
        .unwrap_or("")
        .trim()
        .to_owned();
    BlobError::Azure {
        op: op.to_owned(),
        status,
        code,
        message,
    }
}

fn error_code_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Text of the first `<name>...</name>` element. The Azure error body is flat and fixed, so
/// a search is enough and spares an XML parser dependency.
fn xml_element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(&xml[start..end])
}

/// RFC 1123 date in GMT, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`, as x-ms-date requires.
fn http_date(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // 1970-01-01 was a Thursday.
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let (year, month, day) = civil_from_days(days);
    let month_name = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    format!("{weekday}, {day:02} {month_name} {year} {hour:02}:{minute:02}:{second:02} GMT")
}

/// Proleptic Gregorian date for a count of days since 1970-01-01 (Howard Hinnant's
/// well-known algorithm, re-derived here).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV_KEY: &str =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    #[test]
    fn http_date_matches_known_instants() {
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            http_date(UNIX_EPOCH + Duration::from_secs(784_111_777)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        // Leap day and a year boundary in the far range of the algorithm.
        assert_eq!(
            http_date(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(
            http_date(UNIX_EPOCH + Duration::from_secs(4_102_444_799)),
            "Thu, 31 Dec 2099 23:59:59 GMT"
        );
    }

    #[test]
    fn string_to_sign_for_put_blob_path_style() {
        let url =
            Url::parse("http://127.0.0.1:10000/devstoreaccount1/papyr/documents/abc").unwrap();
        let s = string_to_sign(
            &Method::PUT,
            "devstoreaccount1",
            &url,
            11,
            "application/pdf",
            &[
                ("x-ms-version", API_VERSION),
                ("x-ms-blob-type", "BlockBlob"),
                ("X-MS-Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ],
        );
        assert_eq!(
            s,
            "PUT\n\n\n11\n\napplication/pdf\n\n\n\n\n\n\n\
             x-ms-blob-type:BlockBlob\n\
             x-ms-date:Sun, 06 Nov 1994 08:49:37 GMT\n\
             x-ms-version:2021-08-06\n\
             /devstoreaccount1/devstoreaccount1/papyr/documents/abc"
        );
    }

    #[test]
    fn string_to_sign_for_create_container_virtual_host() {
        let url =
            Url::parse("https://acct1.blob.core.windows.net/papyr?restype=container&comp=x&comp=a")
                .unwrap();
        let s = string_to_sign(&Method::PUT, "acct1", &url, 0, "", &[]);
        // Zero Content-Length is an empty line; parameters sorted, repeated values joined.
        assert_eq!(
            s,
            "PUT\n\n\n\n\n\n\n\n\n\n\n\n/acct1/papyr\ncomp:a,x\nrestype:container"
        );
    }

    #[test]
    fn signature_is_hmac_sha256_base64() {
        // RFC 4231 test case 2 ("Jefe" / "what do ya want for nothing?").
        assert_eq!(
            sign(b"Jefe", "what do ya want for nothing?"),
            BASE64.encode(hex_bytes(
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
            ))
        );
    }

    fn hex_bytes(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn from_url_path_style_and_virtual_host() {
        let store = AzureStore::from_url(&format!(
            "azure://devstoreaccount1/papyr?endpoint=http://127.0.0.1:10000/devstoreaccount1&key={DEV_KEY}"
        ))
        .unwrap();
        assert_eq!(
            store.blob_url("reports/x.pdf").as_str(),
            "http://127.0.0.1:10000/devstoreaccount1/papyr/reports/x.pdf"
        );
        assert_eq!(
            store.container_op_url().as_str(),
            "http://127.0.0.1:10000/devstoreaccount1/papyr?restype=container"
        );
        assert_eq!(
            store.describe(),
            "azure blob http://127.0.0.1:10000/devstoreaccount1/papyr"
        );

        let store = AzureStore::from_url(&format!("azure://acct1/docs?key={DEV_KEY}")).unwrap();
        assert_eq!(
            store.blob_url("documents/ab").as_str(),
            "https://acct1.blob.core.windows.net/docs/documents/ab"
        );
    }

    #[test]
    fn key_never_shows_in_debug_describe_or_errors() {
        let store = AzureStore::from_url(&format!(
            "azure://devstoreaccount1/papyr?endpoint=http://127.0.0.1:10000/devstoreaccount1&key={DEV_KEY}"
        ))
        .unwrap();
        let secret_part = "K1SZFPTOtr";
        assert!(!format!("{store:?}").contains(secret_part));
        assert!(!store.describe().contains(secret_part));
        let mut config = AzureConfig::new("acct1", "docs", DEV_KEY);
        config.endpoint = Some("http://127.0.0.1:1/x".into());
        assert!(!format!("{config:?}").contains(secret_part));

        for bad in [
            format!("azure://acct1/docs?key={DEV_KEY}&oops=1"),
            format!("azure://acct1/docs/extra?key={DEV_KEY}"),
            format!("azure://AC/docs?key={DEV_KEY}"),
            format!("azure://acct1/Docs?key={DEV_KEY}"),
            format!("azure://acct1/docs?key={DEV_KEY}&endpoint=ftp://x"),
            "azure://acct1/docs?key=not*base64".to_owned(),
        ] {
            let err = AzureStore::from_url(&bad).expect_err(&bad).to_string();
            assert!(!err.contains(secret_part), "{err}");
            assert!(!err.contains("not*base64"), "{err}");
        }
    }

    #[test]
    fn plus_in_unescaped_key_survives_query_decoding() {
        // Real keys often contain a plus sign; written unescaped it decodes as a space.
        let key = "ab+cd/ef+gh+";
        let store = AzureStore::from_url(&format!("azure://acct1/docs?key={key}")).unwrap();
        assert_eq!(store.inner.key, BASE64.decode(key).unwrap());
    }

    #[test]
    fn container_names_follow_azure_rules() {
        for ok in ["abc", "papyr-docs", "a1b2", &"a".repeat(63)] {
            assert!(valid_container(ok), "{ok}");
        }
        for bad in ["ab", "-abc", "abc-", "a--b", "ABC", "a_b", &"a".repeat(64)] {
            assert!(!valid_container(bad), "{bad}");
        }
    }

    #[test]
    fn error_body_fields_are_extracted() {
        let body = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.\nRequestId:1\nTime:2024</Message></Error>";
        assert_eq!(xml_element(body, "Code"), Some("AuthenticationFailed"));
        assert_eq!(
            xml_element(body, "Message").and_then(|m| m.lines().next()),
            Some("Server failed to authenticate the request.")
        );
        assert_eq!(xml_element("<Error/>", "Code"), None);
    }
}
