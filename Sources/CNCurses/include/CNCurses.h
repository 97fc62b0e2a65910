#ifndef CNCURSES_H
#define CNCURSES_H
/* A function-only face of ncursesw for Swift: no C globals or macros cross this line. */
#include <wchar.h>

/* Starts curses on the terminal named by `term` (NULL = $TERM). 0 on success, -1 if the
   terminal is unknown (newterm, unlike initscr, does not exit). */
int pbsha_curses_start(const char *term);
void pbsha_curses_stop(void);
int pbsha_curses_rows(void);
int pbsha_curses_cols(void);
int pbsha_curses_has_colors(void);
/* Draws one cell: `text` is a base character and up to four combining marks, 0-terminated.
   attrs: bit 0 bold, 1 reverse, 2 underline, 3 dim. pair: 0 = default. */
void pbsha_curses_put(int y, int x, const wchar_t *text, int attrs, int pair);
void pbsha_curses_refresh(void);
void pbsha_curses_clear(void);
/* Reads a key waiting up to `ms` (0: only what is there); returns -1 when there is none.
   The answer is a character (a Unicode code point, decoded by the locale), or a KEY_ code
   when *function_key is set. */
int pbsha_curses_getch(int ms, int *function_key);
/* The self-pipe that wakes the terminal loop: open it before the loop, close it after.
   pbsha_wake is async-signal-safe and may be called from any thread. */
int pbsha_wake_open(void);
void pbsha_wake_close(void);
void pbsha_wake(void);
/* Sleeps until input on stdin, a wake-up, a signal or `ms` milliseconds (-1: no limit);
   1 when stdin has input. */
int pbsha_wait(int ms);
/* The calling thread's name (as top and /proc show it): set, and read into `buffer`. */
void pbsha_thread_set_name(const char *name);
void pbsha_thread_name(char *buffer, int size);
/* Puts SIGINT, SIGTERM, SIGHUP and SIGWINCH back to their defaults. */
void pbsha_signals_restore(void);
int pbsha_key_resize(void);
int pbsha_key_up(void);
int pbsha_key_down(void);
int pbsha_key_left(void);
int pbsha_key_right(void);
int pbsha_key_npage(void);
int pbsha_key_ppage(void);
int pbsha_key_home(void);
int pbsha_key_end(void);
int pbsha_key_enter(void);
int pbsha_key_backspace(void);
int pbsha_key_btab(void);
/* Signal handling: SIGINT/SIGTERM/SIGHUP set a flag; those and SIGWINCH are unblocked
   (a parent may have passed them blocked). */
void pbsha_signals_install(void);
int pbsha_signal_take(void);
/* 1 when the locale's character set is UTF-8 (after setlocale). */
int pbsha_locale_is_utf8(void);
/* The cells a character takes by wcwidth in the C.UTF-8 locale (the process's own locale
   is left alone); -1 for an unprintable one. */
int pbsha_wcwidth_utf8(int codepoint);
#endif
