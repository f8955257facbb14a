/* ingestd: command line and modes. */
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "enrich.h"
#include "kafka_conf.h"
#include "log.h"
#include "pipeline/pipeline.h"
#include "run.h"
#include "settings.h"
#include "version.h"

static void usage(FILE *f) {
        fputs("Usage:\n"
              "  ingestd run [-c FILE] [-o SECTION.KEY=VALUE]... [--embedded-broker]\n"
              "      Consume raw articles, enrich them, publish the records (the daemon).\n"
              "      --embedded-broker starts an in-process Kafka mock cluster and prints\n"
              "      \"bootstrap: HOST:PORT\" on stderr, for trying ingestd without Kafka.\n"
              "  ingestd enrich [-c FILE] [-o SECTION.KEY=VALUE]... [FILE...]\n"
              "      Run the pipeline over files (or stdin) and print JSON lines.\n"
              "  ingestd check-config -c FILE [-o SECTION.KEY=VALUE]...\n"
              "      Validate a configuration and print it in effect, secrets masked.\n"
              "  ingestd default-config\n"
              "      Print every configuration key with its default and documentation.\n"
              "  ingestd --version | --help\n"
              "\n"
              "Configuration: the file, then INGESTD_SECTION_KEY environment variables,\n"
              "then -o; see ingestd.conf(5) in " INGESTD_SYSCONFDIR "/ingestd/ingestd.conf.\n",
              f);
}

struct cli {
        const char *config_path;
        char **overrides;
        size_t n_overrides;
        bool embedded_broker;
        int first_arg;
};

static int parse_common(int argc, char **argv, struct cli *cli) {
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "option", required_argument, NULL, 'o' },
                { "embedded-broker", no_argument, NULL, 'E' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        cli->overrides = calloc((size_t)argc, sizeof(char *));
        if (!cli->overrides)
                return -1;
        optind = 1;
        int c;
        while ((c = getopt_long(argc, argv, "+c:o:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        cli->config_path = optarg;
                        break;
                case 'o':
                        cli->overrides[cli->n_overrides++] = optarg;
                        break;
                case 'E':
                        cli->embedded_broker = true;
                        break;
                case 'h':
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        return -1;
                }
        }
        cli->first_arg = optind;
        return 0;
}

static int cmd_check_config(struct cli *cli) {
        if (!cli->config_path) {
                fprintf(stderr, "ingestd check-config: -c FILE is required\n");
                return 2;
        }
        struct config *cfg = settings_load(cli->config_path, cli->overrides, cli->n_overrides);
        if (!cfg)
                return 1;
        int status = 0;
        if (log_level_from_string(config_get_string(cfg, "ingestd", "log_level")) < 0)
                status = 1;
        char *err = NULL;
        struct pipeline *p = pipeline_new(cfg, &err);
        if (!p) {
                fprintf(stderr, "ingestd: configuration error: %s\n", err ? err : "?");
                status = 1;
        }
        free(err);
        pipeline_free(p);
        if (kafka_conf_check(cfg) < 0)
                status = 1;
        if (status == 0)
                config_print(cfg, stdout);
        config_free(cfg);
        return status;
}

int main(int argc, char **argv) {
        /* The language detector allocates and frees ~170 KB of scratch space
         * per article; with glibc's default trim threshold that memory goes
         * back to the kernel and is faulted in again every time. Keep it. */
        mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
        mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
        log_init();
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        const char *cmd = argv[1];
        if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
                printf("ingestd %s (librdkafka %s)\n", INGESTD_VERSION, rd_kafka_version_str());
                return 0;
        }
        if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(cmd, "default-config") == 0) {
                fputs("# ingestd configuration: every key, its default and what it does.\n"
                      "# Override any key with INGESTD_<SECTION>_<KEY> in the environment or with\n"
                      "# `-o section.key=value`. [kafka], [kafka.consumer] and [kafka.producer] also take\n"
                      "# any librdkafka property (see librdkafka's CONFIGURATION.md).\n",
                      stdout);
                config_print_defaults(settings_tables(), stdout);
                return 0;
        }

        struct cli cli = { 0 };
        int status;
        if (parse_common(argc - 1, argv + 1, &cli) < 0) {
                free(cli.overrides);
                return 2;
        }
        if (strcmp(cmd, "check-config") == 0) {
                status = cmd_check_config(&cli);
        } else if (strcmp(cmd, "enrich") == 0) {
                struct config *cfg = settings_load(cli.config_path, cli.overrides, cli.n_overrides);
                status = cfg ? enrich_files(cfg, argv + 1 + cli.first_arg, (size_t)(argc - 1 - cli.first_arg)) : 2;
                config_free(cfg);
        } else if (strcmp(cmd, "run") == 0) {
                struct config *cfg = settings_load(cli.config_path, cli.overrides, cli.n_overrides);
                if (!cfg) {
                        status = 2;
                } else {
                        struct run_options opts = { .embedded_broker = cli.embedded_broker,
                                                    .config_path = cli.config_path,
                                                    .overrides = cli.overrides,
                                                    .n_overrides = cli.n_overrides };
                        status = run_daemon(cfg, &opts);
                }
        } else {
                fprintf(stderr, "ingestd: unknown command '%s'\n", cmd);
                usage(stderr);
                status = 2;
        }
        free(cli.overrides);
        return status;
}
