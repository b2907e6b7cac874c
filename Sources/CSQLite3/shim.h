#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call. Turning off memory
// statistics removes a global mutex from every allocation; it must run before
// SQLite initializes (before the first connection opens).
static inline int rehearse_sqlite3_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
