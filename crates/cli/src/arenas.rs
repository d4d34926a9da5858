//! glibc's malloc gives threads their own arenas (up to 8 per core) and seldom returns their
//! freed pages, so `serve`'s RSS crept up as jobs moved between blocking threads
//! (bench/soak.sh on 2 cores: +5 MB/min still in the second five minutes; with two arenas,
//! flat). One arena per concurrent job keeps a long-running server's memory flat.

/// Caps malloc's arenas at `jobs` (at least 2) unless `MALLOC_ARENA_MAX` already says.
/// Call before the server's threads start.
pub fn cap_malloc_arenas(jobs: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let arenas = jobs.clamp(2, 64) as libc::c_int;
        // SAFETY: mallopt only sets a malloc tunable; no allocation is in progress here.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = jobs;
}
