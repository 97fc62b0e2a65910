#define _GNU_SOURCE 1 /* wcwidth, newlocale, uselocale */
#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <ncursesw/curses.h>
#include "CNCurses.h"

static SCREEN *screen_handle = NULL;
static volatile sig_atomic_t pending_signal = 0;
/* The self-pipe that wakes the terminal loop: written by signal handlers and by the
   inbox, read (drained) by pbsha_wait. */
static int wake_pipe[2] = { -1, -1 };
static struct sigaction curses_winch;

void pbsha_wake(void) {
    if (wake_pipe[1] >= 0) {
        char byte = 1;
        ssize_t ignored = write(wake_pipe[1], &byte, 1); /* a full pipe already wakes */
        (void)ignored;
    }
}

static void on_signal(int number) {
    pending_signal = number;
    pbsha_wake();
}

/* ncurses' own SIGWINCH handler (it makes getch return KEY_RESIZE), then a wake-up. */
static void on_winch(int number) {
    if (curses_winch.sa_handler != SIG_DFL && curses_winch.sa_handler != SIG_IGN && curses_winch.sa_handler != NULL) {
        curses_winch.sa_handler(number);
    }
    pbsha_wake();
}

int pbsha_wake_open(void) {
    if (wake_pipe[0] >= 0) return 0;
    return pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK);
}

void pbsha_wake_close(void) {
    if (wake_pipe[0] >= 0) close(wake_pipe[0]);
    if (wake_pipe[1] >= 0) close(wake_pipe[1]);
    wake_pipe[0] = wake_pipe[1] = -1;
}

int pbsha_wait(int ms) {
    struct pollfd fds[2] = { { .fd = 0, .events = POLLIN }, { .fd = wake_pipe[0], .events = POLLIN } };
    int ready = poll(fds, wake_pipe[0] >= 0 ? 2 : 1, ms);
    if (ready > 0 && (fds[1].revents & POLLIN)) {
        char buffer[64];
        while (read(wake_pipe[0], buffer, sizeof buffer) > 0) {}
    }
    return ready > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) ? 1 : 0;
}

void pbsha_signals_restore(void) {
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGWINCH, SIG_DFL);
    memset(&curses_winch, 0, sizeof curses_winch);
}

void pbsha_signals_install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: getch returns at once */
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGTERM);
    sigaddset(&unblock, SIGHUP);
    sigaddset(&unblock, SIGINT);
    sigaddset(&unblock, SIGWINCH);
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
}

int pbsha_signal_take(void) {
    int number = pending_signal;
    pending_signal = 0;
    return number;
}

int pbsha_locale_is_utf8(void) {
    const char *set = nl_langinfo(CODESET);
    return set != NULL && (strcmp(set, "UTF-8") == 0 || strcmp(set, "utf8") == 0);
}

int pbsha_curses_start(const char *term) {
    screen_handle = newterm(term, stdout, stdin);
    if (screen_handle == NULL) return -1;
    set_term(screen_handle);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    /* Wrap the SIGWINCH handler ncurses installed, so that a resize also wakes the loop. */
    struct sigaction winch;
    memset(&winch, 0, sizeof winch);
    winch.sa_handler = on_winch;
    sigemptyset(&winch.sa_mask);
    sigaction(SIGWINCH, &winch, &curses_winch);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_GREEN, -1);
        init_pair(2, COLOR_YELLOW, -1);
        init_pair(3, COLOR_WHITE, COLOR_RED);
        init_pair(4, COLOR_MAGENTA, -1);
        init_pair(5, COLOR_CYAN, -1);
        init_pair(6, COLOR_BLACK, COLOR_CYAN);
    }
    return 0;
}

void pbsha_curses_stop(void) {
    if (screen_handle == NULL) return;
    endwin();
    delscreen(screen_handle);
    screen_handle = NULL;
    fflush(stdout);
}

int pbsha_curses_rows(void) { return getmaxy(stdscr); }
int pbsha_curses_cols(void) { return getmaxx(stdscr); }
int pbsha_curses_has_colors(void) { return has_colors() ? 1 : 0; }

void pbsha_curses_put(int y, int x, const wchar_t *text, int attrs, int pair) {
    attr_t a = A_NORMAL;
    if (attrs & 1) a |= A_BOLD;
    if (attrs & 2) a |= A_REVERSE;
    if (attrs & 4) a |= A_UNDERLINE;
    if (attrs & 8) a |= A_DIM;
    cchar_t cell;
    setcchar(&cell, text, a, (short)pair, NULL);
    mvadd_wch(y, x, &cell);
}

void pbsha_curses_refresh(void) { refresh(); }
void pbsha_curses_clear(void) { clear(); }

int pbsha_curses_getch(int ms, int *function_key) {
    timeout(ms);
    wint_t ch = 0;
    int result = get_wch(&ch);
    if (result == ERR) return -1;
    *function_key = result == KEY_CODE_YES;
    return (int)ch;
}

int pbsha_key_resize(void) { return KEY_RESIZE; }
int pbsha_key_up(void) { return KEY_UP; }
int pbsha_key_down(void) { return KEY_DOWN; }
int pbsha_key_left(void) { return KEY_LEFT; }
int pbsha_key_right(void) { return KEY_RIGHT; }
int pbsha_key_npage(void) { return KEY_NPAGE; }
int pbsha_key_ppage(void) { return KEY_PPAGE; }
int pbsha_key_home(void) { return KEY_HOME; }
int pbsha_key_end(void) { return KEY_END; }
int pbsha_key_enter(void) { return KEY_ENTER; }
int pbsha_key_backspace(void) { return KEY_BACKSPACE; }
int pbsha_key_btab(void) { return KEY_BTAB; }

int pbsha_wcwidth_utf8(int codepoint) {
    static locale_t utf8 = (locale_t)0;
    static int tried = 0;
    if (!tried) {
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        tried = 1;
    }
    if (utf8 == (locale_t)0) return wcwidth((wchar_t)codepoint);
    locale_t previous = uselocale(utf8);
    int width = wcwidth((wchar_t)codepoint);
    uselocale(previous);
    return width;
}

void pbsha_thread_set_name(const char *name) { pthread_setname_np(pthread_self(), name); }

void pbsha_thread_name(char *buffer, int size) {
    if (pthread_getname_np(pthread_self(), buffer, (size_t)size) != 0 && size > 0) buffer[0] = 0;
}
