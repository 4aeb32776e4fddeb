/*
 * cli.h — shared pieces of the facesift command-line tool: the subcommand table entry type
 * and the exit codes of DESIGN.md §9 (0 success, 1 the work failed, 2 bad usage).
 */
#ifndef FSIFT_CLI_H
#define FSIFT_CLI_H

#include "facesift/facesift.h"

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

/* Each subcommand: argv[0] is the subcommand's name. */
int cmd_model(int argc, char **argv);
int cmd_kps(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_eval_compare(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_unpack(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_subset(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_slurm(int argc, char **argv);
int cmd_text(int argc, char **argv);

/* Prints "facesift: <context>: <fsift_last_error()>" to stderr and returns CLI_FAIL. */
int cli_fail(const char *context);

#endif
