/* tools/cmd_serve.c — `animasync serve`: a small local HTTP server that joins
 * the browser tools (web/player.html, web/editor.html) to the engine. This
 * file reads the options, sets up the state (web directory, preset file,
 * engine, temporary directory), starts the daemon (serve_http.c) and waits for
 * SIGINT or SIGTERM to stop it cleanly. The API is in serve_api.c; docs/WEB.md
 * describes both. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "serve.h"

static void help(void)
{
    puts("usage: animasync serve [--port 8080] [--host 127.0.0.1] [--presets FILE] [--web DIR]\n"
         "                       [--keep-audio N] [--max-connections N] [--quiet]\n\n"
         "Serves the player (/player.html) and the preset editor (/editor.html) with a JSON\n"
         "API over the engine (docs/WEB.md): /api/compile, /api/say, /api/audio/<id>.wav,\n"
         "/api/emotions, /api/presets (GET, PUT), /api/check. Ctrl-C stops it.\n\n"
         "  --port N             TCP port, 0..65535 (default 8080; 0 = any free port). The first\n"
         "                       line on stdout is \"listening on http://HOST:PORT/\"\n"
         "  --host ADDR          address to listen on (default 127.0.0.1: this machine only)\n"
         "  --presets FILE       the user preset file: loaded at start when it exists, and\n"
         "                       where PUT /api/presets saves (default\n"
         "                       $XDG_CONFIG_HOME/animasync/presets.json, else\n"
         "                       ~/.config/animasync/presets.json)\n"
         "  --web DIR            the directory served at / (default: web/ of the source tree\n"
         "                       this program was built from, else <prefix>/share/animasync/web)\n"
         "  --keep-audio N       how many /api/say WAVs to keep for /api/audio/ (default 16)\n"
         "  --max-connections N  concurrent connections, one thread each (default 64)\n"
         "  --quiet              no access log on stderr");
}

/* The stop signal's pipe: written by the handler, read by the main thread. */
static int stop_pipe[2] = {-1, -1};
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    int saved = errno;
    stop_signal = sig;
    ssize_t n = write(stop_pipe[1], "x", 1); /* async-signal-safe; a full pipe already says stop */
    (void)n;
    errno = saved;
}

static int is_dir(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The default web directory: web/ next to tools/ in the source tree (from
 * this file's compile-time path), else ../share/animasync/web next to the
 * installed executable. NULL if neither exists. */
static char *default_web_dir(void)
{
    char path[PATH_MAX];
    const char *src = __FILE__;
    const char *slash = strrchr(src, '/');
    if (src[0] == '/' && slash && (size_t)(slash - src) + 16 < sizeof path) {
        snprintf(path, sizeof path, "%.*s/../web", (int)(slash - src), src);
        if (is_dir(path)) return realpath(path, NULL);
    }
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
    if (n > 0) {
        path[n] = 0;
        char *s = strrchr(path, '/');
        if (s) {
            snprintf(s, sizeof path - (size_t)(s - path), "/../share/animasync/web");
            if (is_dir(path)) return realpath(path, NULL);
        }
    }
    return NULL;
}

static char *default_presets_path(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char path[PATH_MAX];
    if (xdg && xdg[0] == '/') snprintf(path, sizeof path, "%s/animasync/presets.json", xdg);
    else if (home && *home) snprintf(path, sizeof path, "%s/.config/animasync/presets.json", home);
    else return NULL;
    return strdup(path);
}

static void remove_tmp_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char p[PATH_MAX];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

int cmd_serve(int argc, char **argv)
{
    const char *host = "127.0.0.1", *presets = NULL, *web = NULL;
    unsigned port = 8080, max_conn = 64;
    size_t keep_audio = SERVE_DEFAULT_KEEP_AUDIO;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) { help(); return 0; }
        else if (!strcmp(a, "--port")) port = (unsigned)cli_long("--port", cli_value(argc, argv, &i), 0, 65535);
        else if (!strcmp(a, "--host")) host = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--presets")) presets = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--web")) web = cli_value(argc, argv, &i);
        else if (!strcmp(a, "--keep-audio"))
            keep_audio = (size_t)cli_long("--keep-audio", cli_value(argc, argv, &i), 1, SERVE_MAX_KEEP_AUDIO);
        else if (!strcmp(a, "--max-connections"))
            max_conn = (unsigned)cli_long("--max-connections", cli_value(argc, argv, &i), 1, 1024);
        else if (!strcmp(a, "--quiet")) quiet = 1;
        else cli_die("serve: unknown option \"%s\" (see --help)", a);
    }

    serve_state s;
    memset(&s, 0, sizeof s);
    s.quiet = quiet;
    if (web) {
        if (!is_dir(web)) cli_die("--web: \"%s\" is not a directory", web);
        s.web_dir = realpath(web, NULL);
    } else {
        s.web_dir = default_web_dir();
    }
    if (!s.web_dir) cli_die("serve: cannot find the web directory; give it with --web DIR");
    s.presets_path = presets ? strdup(presets) : default_presets_path();
    if (!s.presets_path) cli_die("serve: no --presets FILE given and neither $XDG_CONFIG_HOME nor $HOME is set");

    /* The engine: the user preset file when it exists, else the built-in bank. */
    struct stat st;
    as_preset_bank *bank;
    if (stat(s.presets_path, &st) == 0) {
        if (!(bank = as_preset_bank_load(s.presets_path))) cli_die("%s", as_last_error());
    } else if (!(bank = as_preset_bank_clone(NULL))) {
        cli_die("serve: cannot copy the built-in preset bank: %s", as_last_error());
    }
    if (!(s.engine = serve_engine_create(bank))) cli_die("serve: cannot create the compiler: %s", as_last_error());
    if (!(s.emotions_json = serve_emotions_json())) cli_die("serve: built-in emotion data is corrupt");
    s.keep_audio = keep_audio;
    if (!(s.audio = calloc(keep_audio, sizeof *s.audio))) cli_die("serve: out of memory");
    const char *tmp = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/animasync-serve-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) cli_die("serve: cannot create a temporary directory in %s: %s", tmp && *tmp ? tmp : "/tmp",
                                strerror(errno));
    s.tmp_dir = strdup(tmpl);
    pthread_mutex_init(&s.engine_mu, NULL);
    pthread_mutex_init(&s.save_mu, NULL);
    pthread_mutex_init(&s.audio_mu, NULL);

    /* SIGINT and SIGTERM write a byte to a pipe that the main thread waits
     * on. A handler, not sigwait with the signals blocked: a library may
     * start threads before main (OpenBLAS does), and a process-directed
     * signal may land on any thread that does not block it. A client that
     * hangs up mid-answer must not kill the server: SIGPIPE is ignored. */
    if (pipe2(stop_pipe, O_CLOEXEC) != 0) cli_die("serve: cannot create a pipe: %s", strerror(errno));
    fcntl(stop_pipe[1], F_SETFL, O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned bound = 0;
    void *daemon = serve_http_start(&s, host, port, max_conn, &bound);
    if (!daemon) {
        remove_tmp_dir(s.tmp_dir);
        cli_die("serve: cannot listen on %s port %u (in use? --port 0 takes any free port)", host, port);
    }
    int v6 = strchr(host, ':') != NULL;
    printf("listening on http://%s%s%s:%u/\n", v6 ? "[" : "", host, v6 ? "]" : "", bound);
    fflush(stdout);
    if (!quiet) {
        fprintf(stderr, "animasync serve: player http://%s%s%s:%u/player.html, editor /editor.html\n", v6 ? "[" : "",
                host, v6 ? "]" : "", bound);
        fprintf(stderr, "animasync serve: web %s, presets %s%s\n", s.web_dir, s.presets_path,
                stat(s.presets_path, &st) == 0 ? "" : " (not there yet: built-in bank until a PUT)");
    }

    char byte;
    while (read(stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {}
    if (!quiet) fprintf(stderr, "animasync serve: %s, stopping\n", stop_signal == SIGINT ? "interrupted" : "terminated");

    serve_http_stop(daemon); /* waits for the requests in flight */
    serve_engine_release(&s, s.engine);
    for (size_t i = 0; i < s.keep_audio; i++) free(s.audio[i].data);
    free(s.audio);
    remove_tmp_dir(s.tmp_dir);
    free(s.tmp_dir);
    free(s.emotions_json);
    free(s.presets_path);
    free(s.web_dir);
    pthread_mutex_destroy(&s.engine_mu);
    pthread_mutex_destroy(&s.save_mu);
    pthread_mutex_destroy(&s.audio_mu);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    return 0;
}
