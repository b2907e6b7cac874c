#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call. Turning off memory
// statistics removes a global mutex from every allocation; it must run before
// SQLite initializes (before the first connection opens).
static inline int rehearse_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

// sqlite3_db_config is variadic too: one boolean option per call, for the
// hardening every connection gets (no extension loading, defensive mode,
// untrusted schema). Returns SQLITE_OK or an error code.
static inline int rehearse_sqlite3_db_config_bool(sqlite3 *db, int op, int on) {
    return sqlite3_db_config(db, op, on, (int *)0);
}
