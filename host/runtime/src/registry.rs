//! Loading components: validate (a component, one stage world, only grantable
//! imports), compile once (cached on disk under the engine's compatibility hash and
//! the component's sha256), and cache the `InstancePre` per grant set.
use crate::Error;
use crate::engine::Runtime;
use crate::host::StoreState;
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::{Component, InstancePre, types::ComponentItem};

/// The WIT package version this host implements.
pub const PACKAGE: &str = "papyr:pipeline";
pub const PACKAGE_VERSION: &str = "0.1.0";

/// A stage world of `papyr:pipeline`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum World {
    Parser,
    Classifier,
    Extractor,
    FraudRule,
    Reporter,
}

impl World {
    pub fn name(self) -> &'static str {
        match self {
            World::Parser => "parser",
            World::Classifier => "classifier",
            World::Extractor => "extractor",
            World::FraudRule => "fraud-rule",
            World::Reporter => "reporter",
        }
    }

    /// The world's exported functions.
    fn exports(self) -> &'static [&'static str] {
        match self {
            World::Parser => &["parse"],
            World::Classifier => &["classify"],
            World::Extractor => &["extract"],
            World::FraudRule => &["rules", "check"],
            World::Reporter => &["render"],
        }
    }

    const ALL: [World; 5] = [
        World::Parser,
        World::Classifier,
        World::Extractor,
        World::FraudRule,
        World::Reporter,
    ];
}

/// Capabilities granted to a plugin beyond `log` and `config`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Grants {
    /// Read-only vendor and invoice history of the plugin's tenant.
    pub history: bool,
}

/// A loaded, validated plugin, ready to instantiate.
pub struct Plugin {
    pub name: String,
    /// sha256 of the component bytes, lower-case hex.
    pub digest: String,
    pub world: World,
    pub grants: Grants,
    pub(crate) pre: InstancePre<StoreState>,
}

impl Plugin {
    pub fn short_digest(&self) -> &str {
        &self.digest[..12.min(self.digest.len())]
    }
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("digest", &self.digest)
            .field("world", &self.world)
            .finish()
    }
}

/// What `papyr plugin check` reports about a component.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ComponentReport {
    pub digest: String,
    pub size: usize,
    /// The stage world it implements, if any.
    pub world: Option<&'static str>,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    /// Why it would be refused (empty: accepted).
    pub problems: Vec<String>,
    /// Whether it needs the `history` grant.
    pub needs_history: bool,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Is `name` (`papyr:pipeline/log@0.1.0`) an import of our package at a compatible
/// version? Returns the interface name.
fn papyr_interface(name: &str) -> Option<Result<&str, String>> {
    let rest = name.strip_prefix("papyr:pipeline/")?;
    let (iface, version) = rest.split_once('@').unwrap_or((rest, ""));
    let compatible = version
        .split('.')
        .take(2)
        .eq(PACKAGE_VERSION.split('.').take(2));
    Some(if compatible {
        Ok(iface)
    } else {
        Err(format!(
            "imports `{name}`: built against papyr:pipeline@{version}, this host provides @{PACKAGE_VERSION} (0.1.x components are compatible)"
        ))
    })
}

/// WASI interfaces a plugin may import. They are linked, but give nothing: no
/// preopened directories, no environment, a fixed clock, deterministic randomness.
fn wasi_allowed(name: &str) -> bool {
    [
        "wasi:io/",
        "wasi:cli/",
        "wasi:clocks/",
        "wasi:random/",
        "wasi:filesystem/",
    ]
    .iter()
    .any(|p| name.starts_with(p))
        && name.contains("@0.2.")
}

impl Runtime {
    /// Describe a component and say why it would be refused, without compiling it.
    pub fn inspect(
        &self,
        bytes: &[u8],
        grants: Grants,
    ) -> Result<(ComponentReport, Option<World>), Error> {
        if !wasmparser_is_component(bytes) {
            return Err(Error::NotAComponent(if bytes.starts_with(b"\0asm") {
                "this is a core WebAssembly module, not a component; build with `--target wasm32-wasip2` or wrap it with `wasm-tools component new`".into()
            } else {
                "the file does not start with the WebAssembly magic bytes `\\0asm`".into()
            }));
        }
        // Compiled once: kept (in memory and in the on-disk cache) for the `load` that
        // usually follows an accepted inspection.
        let component = self.compiled(&sha256_hex(bytes), bytes)?;
        Ok(self.describe(&component, bytes, grants))
    }

    fn describe(
        &self,
        component: &Component,
        bytes: &[u8],
        grants: Grants,
    ) -> (ComponentReport, Option<World>) {
        let ty = component.component_type();
        let imports: Vec<String> = ty
            .imports(&self.engine)
            .map(|(n, _)| n.to_string())
            .collect();
        let exports: Vec<(String, bool)> = ty
            .exports(&self.engine)
            .map(|(n, item)| {
                (
                    n.to_string(),
                    matches!(item.ty, ComponentItem::ComponentFunc(_)),
                )
            })
            .collect();
        let mut problems = Vec::new();
        let funcs: Vec<&str> = exports
            .iter()
            .filter(|(_, f)| *f)
            .map(|(n, _)| n.as_str())
            .collect();
        let world = World::ALL
            .into_iter()
            .find(|w| w.exports().iter().all(|e| funcs.contains(e)));
        if world.is_none() {
            problems.push(format!(
                "implements no papyr:pipeline@{PACKAGE_VERSION} stage world: exports [{}], expected `parse` (parser), `classify` (classifier), `extract` (extractor), `rules`+`check` (fraud-rule) or `render` (reporter)",
                exports.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        let mut needs_history = false;
        for name in &imports {
            match papyr_interface(name) {
                Some(Ok("types" | "log" | "config")) => {}
                Some(Ok("history")) => {
                    needs_history = true;
                    if world.is_some_and(|w| w != World::FraudRule) {
                        problems.push(format!(
                            "imports `{name}`, which only fraud-rule components may be granted"
                        ));
                    } else if !grants.history {
                        problems.push(format!(
                            "imports `{name}` (tenant vendor/invoice history), which this tenant has not granted to it"
                        ));
                    }
                }
                Some(Ok(other)) => problems.push(format!(
                    "imports `papyr:pipeline/{other}`, which this host does not provide"
                )),
                Some(Err(msg)) => problems.push(msg),
                None if wasi_allowed(name) => {}
                None => problems.push(format!(
                    "imports `{name}`, a capability Papyr never grants to plugins"
                )),
            }
        }
        let report = ComponentReport {
            digest: sha256_hex(bytes),
            size: bytes.len(),
            world: world.map(World::name),
            imports,
            exports: exports.into_iter().map(|(n, _)| n).collect(),
            problems,
            needs_history,
        };
        (report, world)
    }

    /// Validate, compile (or load from the cache) and prepare a component.
    pub fn load(&self, name: &str, bytes: &[u8], grants: Grants) -> Result<Plugin, Error> {
        let digest = sha256_hex(bytes);
        if !wasmparser_is_component(bytes) {
            self.inspect(bytes, grants)?; // produces the precise error
        }
        let component = self.compiled(&digest, bytes)?;
        let (report, world) = self.describe(&component, bytes, grants);
        if !report.problems.is_empty() {
            return Err(Error::Refused(report.problems.join("; ")));
        }
        let world = world.expect("no problems implies a world");
        let key = (digest.clone(), grants.history);
        let cached_pre = self
            .pres
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let pre = match cached_pre {
            Some(p) => p,
            None => {
                let linker = if grants.history {
                    &self.linkers.with_history
                } else {
                    &self.linkers.base
                };
                let p = linker
                    .instantiate_pre(&component)
                    .map_err(|e| Error::Refused(format!("{e:#}")))?;
                self.pres
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, p.clone());
                p
            }
        };
        Ok(Plugin {
            name: name.to_string(),
            digest,
            world,
            grants,
            pre,
        })
    }

    /// The compiled component of `digest`: from memory, else from the disk cache or
    /// compiled (and then kept in both).
    fn compiled(&self, digest: &str, bytes: &[u8]) -> Result<Component, Error> {
        let cached = self
            .components
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(digest)
            .cloned();
        if let Some(c) = cached {
            return Ok(c);
        }
        let c = self.compile_cached(digest, bytes)?;
        self.components
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(digest.to_string(), c.clone());
        Ok(c)
    }

    fn compile(&self, bytes: &[u8]) -> Result<Component, Error> {
        Component::new(&self.engine, bytes).map_err(|e| Error::Compile(format!("{e:#}")))
    }

    /// The cache folder of this engine build: `<cache_dir>/<engine hash>/`.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        let base = self.options.cache_dir.as_ref()?;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut h);
        self.pooling.hash(&mut h);
        Some(base.join(format!("wasmtime-48-{:016x}", h.finish())))
    }

    fn compile_cached(&self, digest: &str, bytes: &[u8]) -> Result<Component, Error> {
        let Some(dir) = self.cache_dir() else {
            return self.compile(bytes);
        };
        let path = dir.join(format!("{digest}.cwasm"));
        if path.exists() {
            match deserialize(&self.engine, &path) {
                Ok(c) => return Ok(c),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "ignoring unreadable compiled component; recompiling")
                }
            }
        }
        let component = self.compile(bytes)?;
        if let Err(e) = write_atomically(&dir, &path, &component) {
            // The cache is an optimisation: a read-only disk must not stop processing.
            tracing::warn!(path = %path.display(), error = %e, "could not write the compiled-component cache");
        }
        Ok(component)
    }
}

fn write_atomically(dir: &Path, path: &Path, component: &Component) -> Result<(), Error> {
    let err = |m: String| Error::Cache {
        path: path.display().to_string(),
        message: m,
    };
    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    let bytes = component.serialize().map_err(|e| err(e.to_string()))?;
    // One temporary file per writer: threads of one process may compile the same
    // component at once, and each renames its own file into place.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{}-{seq}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| err(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
}

#[allow(unsafe_code)] // reason: deserializing runs native code; the file is one this engine wrote into its own cache folder, keyed by its compatibility hash
fn deserialize(engine: &wasmtime::Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: the cache folder is written only by `write_atomically` with the output
    // of `Component::serialize` for an engine with the same compatibility hash.
    unsafe { Component::deserialize_file(engine, path) }
}

/// Component binaries start with `\0asm` and layer 1 (version 0x0d, layer 0x01).
fn wasmparser_is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] == [0x01, 0x00]
}
