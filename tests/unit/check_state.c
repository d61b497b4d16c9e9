/* The --state file (verifier/state.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "state.h"

static char dir[] = "/tmp/check_state.XXXXXX";
static char path[300];

static void setup(void)
{
	log_init("check_state", LOG_ERROR);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/verifier.state", dir);
}

static void teardown(void)
{
	char tmp[320];

	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_state_file)
{
	uint64_t e = 0;
	char text[64] = "";
	FILE *f;

	ck_assert_int_eq(state_next_epoch(path, &e), 0); /* missing: 0 -> 1 */
	ck_assert_uint_eq(e, 1);
	ck_assert_int_eq(state_next_epoch(path, &e), 0);
	ck_assert_uint_eq(e, 2);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
	fclose(f);
	ck_assert_str_eq(text, "epoch 2\n");
	write_file("epoch 41\n");
	ck_assert_int_eq(state_next_epoch(path, &e), 0);
	ck_assert_uint_eq(e, 42);
	write_file("epoch 7"); /* no newline is fine */
	ck_assert_int_eq(state_next_epoch(path, &e), 0);
	ck_assert_uint_eq(e, 8);
}
END_TEST

static const char *const corrupt[] = {
	"", "epoch", "epoch \n", "epoch x\n", "epoch 1x\n", "garbage\n",
	"epoch -1\n", "epoch 99999999999999999999999\n",
	"epoch 2097151\n", /* the last epoch seq can hold */
};

START_TEST(test_state_corrupt)
{
	uint64_t e = 12345;

	write_file(corrupt[_i]);
	ck_assert_int_eq(state_next_epoch(path, &e), -1);
	ck_assert_uint_eq(e, 12345); /* untouched */
}
END_TEST

START_TEST(test_state_unwritable)
{
	uint64_t e;

	ck_assert_int_eq(state_next_epoch("/nonexistent-dir/x/state", &e), -1);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_state_file);
	tcase_add_loop_test(tc, test_state_corrupt, 0,
			    sizeof(corrupt) / sizeof(corrupt[0]));
	tcase_add_test(tc, test_state_unwritable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
