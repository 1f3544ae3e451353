/* Counting receivers and reference senders for Benchmarks/scripts/siem.sh, on 127.0.0.1 only,
 * in C so that neither is what limits the benchmark of flowlog (siem.sh compiles this file
 * with cc -O2).
 *
 *   siem-peers tcp PORTFILE SAVE     reads every connection to its end, one after another;
 *                                       with SAVE != -, appends what it read to that file;
 *                                       prints each connection's byte count on stderr
 *   siem-peers hec PORTFILE SAVEDIR  HTTP/1.1 with keep-alive, a thread per connection;
 *                                       answers every POST with Content-Length like Splunk HEC
 *                                       (200, {"text":"Success","code":0}); with SAVEDIR != -,
 *                                       keeps each body as SAVEDIR/body-00000001, … in arrival order
 *
 *   siem-peers tcp-send PORT FILE    the reference writer: FILE's bytes on one connection
 *                                       (sendfile), half-close, wait for the receiver's close
 *   siem-peers http-send PORT PATH DIR  the reference writer: every file of DIR, in name
 *                                       order, POSTed to PATH on one keep-alive connection
 *
 * A receiver writes its port (bound as port 0) to PORTFILE once listening and runs until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int listen_loopback(const char *port_file) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 16) != 0) { perror("bind/listen"); exit(1); }
    socklen_t len = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &len);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    FILE *f = fopen(tmp, "w");
    if (!f) { perror(tmp); exit(1); }
    fprintf(f, "%d", ntohs(a.sin_port));
    fclose(f);
    rename(tmp, port_file);
    return s;
}

static void write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) { if (errno == EINTR) continue; perror("write"); exit(1); }
        p += w; n -= (size_t)w;
    }
}

static _Noreturn void tcp_receiver(const char *port_file, const char *save) {
    int s = listen_loopback(port_file);
    int out = strcmp(save, "-") ? open(save, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644) : -1;
    static char buffer[1 << 20];
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        long long total = 0;
        for (;;) {
            ssize_t n = recv(c, buffer, sizeof buffer, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            total += n;
            if (out >= 0) write_all(out, buffer, (size_t)n);
        }
        close(c);
        fprintf(stderr, "%lld\n", total);
    }
}

static const char *save_dir;
static long saved;
static pthread_mutex_t save_lock = PTHREAD_MUTEX_INITIALIZER;

/* One keep-alive connection: request head, Content-Length body, answer; until the client closes. */
static void *hec_connection(void *arg) {
    int c = (int)(long)arg;
    size_t cap = 1 << 20, have = 0;
    char *buf = malloc(cap);
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"text\":\"Success\",\"code\":0}";
    static const char refused[] = "HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    for (;;) {
        char *end;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            if (have == cap) { cap *= 2; buf = realloc(buf, cap); }
            ssize_t n = recv(c, buf + have, cap - have, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) goto done;
            have += (size_t)n;
        }
        size_t head = (size_t)(end - buf) + 4;
        long length = -1;
        int close_after = 0;
        for (char *line = buf; line < buf + head;) {
            char *eol = memmem(line, (size_t)(buf + head - line), "\r\n", 2);
            if (!eol) break;
            size_t len = (size_t)(eol - line);
            if (len > 15 && !strncasecmp(line, "Content-Length:", 15)) length = strtol(line + 15, NULL, 10);
            if (len > 11 && !strncasecmp(line, "Connection:", 11) && (memmem(line, len, "close", 5) || memmem(line, len, "Close", 5))) close_after = 1;
            line = eol + 2;
        }
        if (length < 0) { write_all(c, refused, sizeof refused - 1); goto done; }
        size_t need = head + (size_t)length;
        if (need > cap) { while (cap < need) cap *= 2; buf = realloc(buf, cap); }
        while (have < need) {
            ssize_t n = recv(c, buf + have, cap - have, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) goto done;
            have += (size_t)n;
        }
        if (save_dir) {
            pthread_mutex_lock(&save_lock);
            char path[4096];
            snprintf(path, sizeof path, "%s/body-%08ld", save_dir, ++saved);
            int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (f < 0) { perror(path); exit(1); }
            write_all(f, buf + head, (size_t)length);
            close(f);
            pthread_mutex_unlock(&save_lock);
        }
        write_all(c, ok, sizeof ok - 1);
        memmove(buf, buf + need, have - need);
        have -= need;
        if (close_after) break;
    }
done:
    free(buf);
    close(c);
    return NULL;
}

static _Noreturn void hec_receiver(const char *port_file, const char *dir) {
    save_dir = strcmp(dir, "-") ? dir : NULL;
    int s = listen_loopback(port_file);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        pthread_t t;
        pthread_create(&t, NULL, hec_connection, (void *)(long)c);
        pthread_detach(t);
    }
}

static int connect_loopback(const char *port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons((uint16_t)atoi(port))};
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(1); }
    return s;
}

static int tcp_send(const char *port, const char *path) {
    int s = connect_loopback(port);
    int f = open(path, O_RDONLY);
    if (f < 0) { perror(path); return 1; }
    struct stat st;
    fstat(f, &st);
    off_t offset = 0;
    while (offset < st.st_size) {
        ssize_t n = sendfile(s, f, &offset, (size_t)(st.st_size - offset));
        if (n < 0 && errno != EINTR) { perror("sendfile"); return 1; }
    }
    shutdown(s, SHUT_WR);
    char c;
    while (recv(s, &c, 1, 0) > 0) {}
    close(s);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }
static int not_dot(const struct dirent *d) { return d->d_name[0] != '.'; }

static int http_send(const char *port, const char *path, const char *dir) {
    struct dirent **names;
    int count = scandir(dir, &names, not_dot, by_name);
    if (count < 0) { perror(dir); return 1; }
    int s = connect_loopback(port);
    size_t cap = 1 << 20;
    char *body = malloc(cap), answer[65536];
    for (int i = 0; i < count; i++) {
        char file[4096];
        snprintf(file, sizeof file, "%s/%s", dir, names[i]->d_name);
        int f = open(file, O_RDONLY);
        struct stat st;
        if (f < 0 || fstat(f, &st) != 0) { perror(file); return 1; }
        if ((size_t)st.st_size > cap) { cap = (size_t)st.st_size; body = realloc(body, cap); }
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t n = read(f, body + got, (size_t)st.st_size - got);
            if (n <= 0) { perror(file); return 1; }
            got += (size_t)n;
        }
        close(f);
        char head[512];
        int h = snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", path, got);
        write_all(s, head, (size_t)h);
        write_all(s, body, got);
        /* The answer: a head and a Content-Length body, read whole before the next request. */
        size_t have = 0;
        char *end;
        while (!(end = memmem(answer, have, "\r\n\r\n", 4))) {
            ssize_t n = recv(s, answer + have, sizeof answer - have, 0);
            if (n <= 0) { fprintf(stderr, "http-send: connection closed\n"); return 1; }
            have += (size_t)n;
        }
        if (strncmp(answer, "HTTP/1.1 200", 12) != 0) { fprintf(stderr, "http-send: %.40s\n", answer); return 1; }
        char *cl = strcasestr(answer, "Content-Length:");
        size_t need = (size_t)(end - answer) + 4 + (cl && cl < end ? (size_t)strtol(cl + 15, NULL, 10) : 0);
        while (have < need) {
            ssize_t n = recv(s, answer + have, sizeof answer - have, 0);
            if (n <= 0) { fprintf(stderr, "http-send: connection closed\n"); return 1; }
            have += (size_t)n;
        }
        free(names[i]);
    }
    free(names);
    close(s);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "tcp")) tcp_receiver(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "hec")) hec_receiver(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "tcp-send")) return tcp_send(argv[2], argv[3]);
    if (argc == 5 && !strcmp(argv[1], "http-send")) return http_send(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: siem-peers tcp|hec PORTFILE SAVE | tcp-send PORT FILE | http-send PORT PATH DIR\n");
    return 2;
}
