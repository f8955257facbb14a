/*
 * ktopic — create or delete Kafka topics through librdkafka's Admin API.
 * Test helper for ingestd; not part of the daemon.
 *
 *   ktopic -b BOOTSTRAP create [--config KEY=VALUE ...] TOPIC PARTITIONS [TOPIC PARTITIONS ...]
 *   ktopic -b BOOTSTRAP delete TOPIC [TOPIC ...]
 *   ktopic -b BOOTSTRAP produce TOPIC KEY FILE [KEY FILE ...]
 *   ktopic -b BOOTSTRAP offsets TOPIC
 *   ktopic -b BOOTSTRAP lag GROUP TOPIC
 *
 * lag prints how many records of TOPIC the consumer group GROUP has not
 * committed yet (high watermark minus committed offset, summed over the
 * partitions; a partition without a commit counts from its low watermark).
 *
 * offsets prints the sum over the topic's partitions of high minus low
 * watermark: the number of records, fast, for waiting on progress (with
 * transactions it also counts commit markers and aborted records, so exact
 * checks read the topic with kcat instead).
 *
 * create's --config sets a topic configuration property (for example
 * max.message.bytes=20000000) on every topic it creates.
 *
 * produce sends the bytes of each FILE, exactly, as one message (an empty
 * file gives an empty message, which kcat cannot send), in order, each
 * after the broker acknowledged the one before. KEY "-" means no key;
 * "@PATH" means the bytes of the file PATH, exactly (an empty key, or one
 * with NUL bytes).
 *
 * Replication factor is always 1. Creating a topic that already exists and
 * deleting one that does not exist are not errors (a note goes to stderr).
 * After the request succeeds, ktopic waits until the broker's metadata shows
 * every created topic with a leader for each partition (or every deleted
 * topic gone), so a test can use the topic right away. Everything is bounded
 * by a 30 s deadline. Exit status: 0 success, 1 failure, 2 usage error.
 *
 * Build: gcc -std=gnu11 -Wall -Wextra -Werror -o ktopic ktopic.c -lrdkafka
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define TIMEOUT_MS 30000

static const char *prog = "ktopic";

static __attribute__((noreturn)) void usage(void)
{
	fprintf(stderr,
		"usage: %s -b BOOTSTRAP create [--config KEY=VALUE ...] TOPIC PARTITIONS [TOPIC PARTITIONS ...]\n"
		"       %s -b BOOTSTRAP delete TOPIC [TOPIC ...]\n"
		"       %s -b BOOTSTRAP produce TOPIC KEY FILE [KEY FILE ...]\n"
		"       %s -b BOOTSTRAP offsets TOPIC\n"
		"       %s -b BOOTSTRAP lag GROUP TOPIC\n",
		prog, prog, prog, prog, prog);
	exit(2);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int remaining_ms(int64_t deadline)
{
	int64_t left = deadline - now_ms();
	return left > 0 ? (int)left : 0;
}

static bool parse_partitions(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 100000)
		return false;
	*out = (int)v;
	return true;
}

/* Wait for the admin result event on q; returns NULL (after printing) on
 * timeout or on a request-level error. */
static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q, rd_kafka_event_type_t type,
				     const char *what, int64_t deadline)
{
	for (;;) {
		int left = remaining_ms(deadline);
		rd_kafka_event_t *ev = rd_kafka_queue_poll(q, left > 0 ? left : 1);

		if (!ev) {
			if (remaining_ms(deadline) == 0) {
				fprintf(stderr, "%s: %s: no answer from the broker within %d s\n",
					prog, what, TIMEOUT_MS / 1000);
				return NULL;
			}
			continue;
		}
		if (rd_kafka_event_type(ev) != type) {
			/* Errors/logs routed to this queue are ignored here. */
			rd_kafka_event_destroy(ev);
			continue;
		}
		if (rd_kafka_event_error(ev)) {
			fprintf(stderr, "%s: %s failed: %s\n", prog, what,
				rd_kafka_event_error_string(ev));
			rd_kafka_event_destroy(ev);
			return NULL;
		}
		return ev;
	}
}

/* Check the per-topic results. Returns the number of real failures. */
static int check_topic_results(const rd_kafka_topic_result_t **res, size_t cnt, bool create)
{
	int failures = 0;

	for (size_t i = 0; i < cnt; i++) {
		const char *name = rd_kafka_topic_result_name(res[i]);
		rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
		const char *msg = rd_kafka_topic_result_error_string(res[i]);

		if (!err)
			continue;
		if (create && err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
			fprintf(stderr, "%s: topic \"%s\" already exists\n", prog, name);
			continue;
		}
		if (!create && err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
			fprintf(stderr, "%s: topic \"%s\" does not exist\n", prog, name);
			continue;
		}
		fprintf(stderr, "%s: %s topic \"%s\" failed: %s (%s)\n", prog,
			create ? "creating" : "deleting", name, msg ? msg : rd_kafka_err2str(err),
			rd_kafka_err2name(err));
		failures++;
	}
	return failures;
}

/* Is the topic known to the broker with a leader for every partition?
 * Returns 1 ready, 0 absent/not ready, -1 metadata request failed. */
static int topic_state(rd_kafka_t *rk, const char *name, int *nparts, int timeout)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, name, NULL);
	rd_kafka_resp_err_t err;
	int ready = 0;

	if (!rkt)
		return -1;
	err = rd_kafka_metadata(rk, 0, rkt, &md, timeout > 0 ? timeout : 1);
	rd_kafka_topic_destroy(rkt);
	if (err)
		return -1;
	*nparts = 0;
	if (md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
		const struct rd_kafka_metadata_topic *t = &md->topics[0];

		ready = 1;
		*nparts = t->partition_cnt;
		for (int p = 0; p < t->partition_cnt; p++)
			if (t->partitions[p].err || t->partitions[p].leader < 0)
				ready = 0;
	}
	rd_kafka_metadata_destroy(md);
	return ready;
}

/* Wait until every topic is present and led (create) or gone (delete). */
static int wait_metadata(rd_kafka_t *rk, char **names, const int *want, int n, bool create,
			 int64_t deadline)
{
	for (int i = 0; i < n; i++) {
		for (;;) {
			int nparts = 0;
			int st = topic_state(rk, names[i], &nparts, remaining_ms(deadline));

			if (create && st == 1) {
				if (want && nparts != want[i])
					fprintf(stderr,
						"%s: note: topic \"%s\" has %d partitions, not %d\n",
						prog, names[i], nparts, want[i]);
				break;
			}
			if (!create && st == 0 && nparts == 0)
				break;
			if (remaining_ms(deadline) == 0) {
				fprintf(stderr, "%s: topic \"%s\" not %s in metadata within %d s\n",
					prog, names[i], create ? "ready" : "gone", TIMEOUT_MS / 1000);
				return 1;
			}
			usleep(100 * 1000);
		}
	}
	return 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	*(rd_kafka_resp_err_t *)m->_private = m->err;
}

/* The bytes of a file, in a malloc'd buffer; NULL (after printing) on error. */
static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		fprintf(stderr, "%s: out of memory\n", prog);
	*ret_len = len;
	return buf;
}

/* Sends one message (KEY as in the usage: "-", "@PATH" or the key itself)
 * and waits for its acknowledgement. */
static int produce_one(rd_kafka_t *rk, const char *topic, const char *key, const char *path)
{
	size_t len, key_len = 0;
	char *buf = read_file(path, &len);
	if (!buf)
		return 1;
	char *key_buf = NULL;
	if (key[0] == '@') {
		key_buf = read_file(key + 1, &key_len);
		if (!key_buf) {
			free(buf);
			return 1;
		}
		key = key_buf;
	} else if (strcmp(key, "-") == 0) {
		key = NULL;
	} else {
		key_len = strlen(key);
	}
	rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR__IN_PROGRESS;
	/* A key of no bytes is not a missing key: only NULL is no key. */
	rd_kafka_resp_err_t err = rd_kafka_producev(
		rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
		RD_KAFKA_V_VALUE(buf, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&result),
		RD_KAFKA_V_END);
	free(buf);
	free(key_buf);
	if (!err)
		rd_kafka_flush(rk, TIMEOUT_MS);
	if (err || result) {
		fprintf(stderr, "%s: produce %s to %s: %s\n", prog, path, topic,
			rd_kafka_err2str(err ? err : result));
		return 1;
	}
	return 0;
}

/* pairs: KEY FILE [KEY FILE ...], sent in this order. */
static int produce_files(const char *bootstrap, const char *topic, char **pairs, int n_pairs)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "message.max.bytes", "20000000", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "%s: %s\n", prog, errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "%s: rd_kafka_new: %s\n", prog, errstr);
		return 1;
	}
	int rc = 0;
	for (int i = 0; i < n_pairs && rc == 0; i++)
		rc = produce_one(rk, topic, pairs[2 * i], pairs[2 * i + 1]);
	rd_kafka_destroy(rk);
	return rc;
}

static int print_offsets(const char *bootstrap, const char *topic)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "%s: %s\n", prog, errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "%s: rd_kafka_new: %s\n", prog, errstr);
		return 1;
	}
	int rc = 1;
	int nparts = 0;
	if (topic_state(rk, topic, &nparts, 10000) != 1 || nparts <= 0) {
		fprintf(stderr, "%s: topic %s not found\n", prog, topic);
		goto out;
	}
	int64_t total = 0;
	for (int p = 0; p < nparts; p++) {
		int64_t lo, hi;
		rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000);
		if (err) {
			fprintf(stderr, "%s: %s [%d]: %s\n", prog, topic, p, rd_kafka_err2str(err));
			goto out;
		}
		total += hi - lo;
	}
	printf("%" PRId64 "\n", total);
	rc = 0;
out:
	rd_kafka_destroy(rk);
	return rc;
}

static int print_lag(const char *bootstrap, const char *group, const char *topic)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "%s: %s\n", prog, errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	/* A consumer that never subscribes: it only reads the group's commits. */
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "%s: rd_kafka_new: %s\n", prog, errstr);
		return 1;
	}
	int rc = 1, nparts = 0;
	rd_kafka_topic_partition_list_t *l = NULL;
	if (topic_state(rk, topic, &nparts, 10000) != 1 || nparts <= 0) {
		fprintf(stderr, "%s: topic %s not found\n", prog, topic);
		goto out;
	}
	l = rd_kafka_topic_partition_list_new(nparts);
	for (int p = 0; p < nparts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p);
	rd_kafka_resp_err_t err = rd_kafka_committed(rk, l, 10000);
	if (err) {
		fprintf(stderr, "%s: committed offsets of %s: %s\n", prog, group, rd_kafka_err2str(err));
		goto out;
	}
	int64_t lag = 0;
	for (int p = 0; p < nparts; p++) {
		int64_t lo, hi;
		err = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000);
		if (err) {
			fprintf(stderr, "%s: %s [%d]: %s\n", prog, topic, p, rd_kafka_err2str(err));
			goto out;
		}
		int64_t c = l->elems[p].offset >= 0 ? l->elems[p].offset : lo;
		lag += hi > c ? hi - c : 0;
	}
	printf("%" PRId64 "\n", lag);
	rc = 0;
out:
	if (l)
		rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
	return rc;
}

int main(int argc, char **argv)
{
	const char *bootstrap = NULL;
	char errstr[512];
	int opt, n, rc = 1;
	bool create;
	char **names;
	int *parts = NULL;
	char *configs[32];	/* create's --config KEY=VALUE arguments */
	int n_configs = 0;
	int64_t deadline = now_ms() + TIMEOUT_MS;

	prog = argc > 0 && argv[0] ? (strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0])
				   : "ktopic";
	while ((opt = getopt(argc, argv, "+b:h")) != -1) {
		switch (opt) {
		case 'b':
			bootstrap = optarg;
			break;
		default:
			usage();
		}
	}
	if (!bootstrap || optind >= argc)
		usage();

	if (!strcmp(argv[optind], "lag")) {
		if (argc - optind != 3)
			usage();
		return print_lag(bootstrap, argv[optind + 1], argv[optind + 2]);
	}
	if (!strcmp(argv[optind], "offsets")) {
		if (argc - optind != 2)
			usage();
		return print_offsets(bootstrap, argv[optind + 1]);
	}
	if (!strcmp(argv[optind], "produce")) {
		if (argc - optind < 4 || (argc - optind) % 2)
			usage();
		return produce_files(bootstrap, argv[optind + 1], &argv[optind + 2], (argc - optind - 2) / 2);
	}
	if (!strcmp(argv[optind], "create"))
		create = true;
	else if (!strcmp(argv[optind], "delete"))
		create = false;
	else
		usage();
	optind++;
	if (create) {
		while (optind + 1 < argc && !strcmp(argv[optind], "--config")) {
			if (!strchr(argv[optind + 1], '=') || argv[optind + 1][0] == '=' ||
			    n_configs == (int)(sizeof(configs) / sizeof(configs[0])))
				usage();
			configs[n_configs++] = argv[optind + 1];
			optind += 2;
		}
	}

	n = argc - optind;
	names = &argv[optind];
	if (n < 1)
		usage();
	if (create) {
		if (n % 2)
			usage();
		n /= 2;
		names = calloc((size_t)n, sizeof(*names));
		parts = calloc((size_t)n, sizeof(*parts));
		if (!names || !parts) {
			fprintf(stderr, "%s: out of memory\n", prog);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			names[i] = argv[optind + 2 * i];
			if (!parse_partitions(argv[optind + 2 * i + 1], &parts[i])) {
				fprintf(stderr, "%s: bad partition count \"%s\" for topic \"%s\"\n",
					prog, argv[optind + 2 * i + 1], names[i]);
				return 2;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		if (!names[i][0]) {
			fprintf(stderr, "%s: empty topic name\n", prog);
			return 2;
		}
	}

	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) !=
		    RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", errstr, sizeof(errstr)) !=
		    RD_KAFKA_CONF_OK) {
		fprintf(stderr, "%s: %s\n", prog, errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "%s: rd_kafka_new: %s\n", prog, errstr);
		return 1;
	}
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *aopts = rd_kafka_AdminOptions_new(
		rk, create ? RD_KAFKA_ADMIN_OP_CREATETOPICS : RD_KAFKA_ADMIN_OP_DELETETOPICS);

	if (rd_kafka_AdminOptions_set_request_timeout(aopts, TIMEOUT_MS, errstr, sizeof(errstr)) ||
	    rd_kafka_AdminOptions_set_operation_timeout(aopts, TIMEOUT_MS - 5000, errstr,
							sizeof(errstr))) {
		fprintf(stderr, "%s: admin options: %s\n", prog, errstr);
		goto out;
	}

	if (create) {
		rd_kafka_NewTopic_t **nt = calloc((size_t)n, sizeof(*nt));
		if (!nt) {
			fprintf(stderr, "%s: out of memory\n", prog);
			goto out;
		}
		for (int i = 0; i < n; i++) {
			nt[i] = rd_kafka_NewTopic_new(names[i], parts[i], 1, errstr, sizeof(errstr));
			if (!nt[i]) {
				fprintf(stderr, "%s: topic \"%s\": %s\n", prog, names[i], errstr);
				rd_kafka_NewTopic_destroy_array(nt, (size_t)i);
				free(nt);
				goto out;
			}
			for (int c = 0; c < n_configs; c++) {
				char *eq = strchr(configs[c], '=');
				*eq = '\0';
				rd_kafka_resp_err_t err = rd_kafka_NewTopic_set_config(nt[i], configs[c], eq + 1);
				*eq = '=';
				if (err) {
					fprintf(stderr, "%s: topic \"%s\": --config %s: %s\n", prog, names[i],
						configs[c], rd_kafka_err2str(err));
					rd_kafka_NewTopic_destroy_array(nt, (size_t)i + 1);
					free(nt);
					goto out;
				}
			}
		}
		rd_kafka_CreateTopics(rk, nt, (size_t)n, aopts, q);
		rd_kafka_NewTopic_destroy_array(nt, (size_t)n);
		free(nt);

		rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT,
						   "CreateTopics", deadline);
		if (!ev)
			goto out;
		size_t cnt = 0;
		const rd_kafka_topic_result_t **res =
			rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
		int failures = check_topic_results(res, cnt, true);
		rd_kafka_event_destroy(ev);
		if (failures)
			goto out;
	} else {
		rd_kafka_DeleteTopic_t **dt = calloc((size_t)n, sizeof(*dt));
		if (!dt) {
			fprintf(stderr, "%s: out of memory\n", prog);
			goto out;
		}
		for (int i = 0; i < n; i++)
			dt[i] = rd_kafka_DeleteTopic_new(names[i]);
		rd_kafka_DeleteTopics(rk, dt, (size_t)n, aopts, q);
		rd_kafka_DeleteTopic_destroy_array(dt, (size_t)n);
		free(dt);

		rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT,
						   "DeleteTopics", deadline);
		if (!ev)
			goto out;
		size_t cnt = 0;
		const rd_kafka_topic_result_t **res =
			rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
		int failures = check_topic_results(res, cnt, false);
		rd_kafka_event_destroy(ev);
		if (failures)
			goto out;
	}

	rc = wait_metadata(rk, names, parts, n, create, deadline);

out:
	rd_kafka_AdminOptions_destroy(aopts);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	if (create) {
		free(names);
		free(parts);
	}
	return rc;
}
