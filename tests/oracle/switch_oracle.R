# R oracle for the switch analyses of the tpo-ra-switch plan (protocols.md, The tpo-ra-switch
# analysis plan): response to the second agent by the stop reason of the first and by switch
# direction, with Clopper-Pearson 95% CIs (binom.test), and Fisher's exact test across reasons
# (fisher.test), on the committed fixture tests/fixtures/switch/courses.csv. Writes
# tests/oracle/switch_oracle_values.json, whose tree mirrors results.json's "switch" object.
# Regenerate (from the repository root; needs only r-base-core):
#
#   Rscript tests/oracle/switch_oracle.R tests/fixtures/switch/courses.csv tests/oracle/switch_oracle_values.json
#
# The pair of a patient is found here with a plain loop, independently of the Python code: the first
# course whose type is "switch" (s) and course s - 1; CR or R at course s is a response.

args <- commandArgs(trailingOnly = TRUE)
in_path <- if (length(args) >= 1) args[1] else "tests/fixtures/switch/courses.csv"
out_path <- if (length(args) >= 2) args[2] else "tests/oracle/switch_oracle_values.json"

REASONS <- c("inefficacy", "loss_of_response", "fluctuation", "adverse_event",
             "patient_preference", "remission", "other", "unknown")
AGENTS <- c("eltrombopag", "romiplostim", "avatrombopag")
ARROW <- "\u2192"

courses <- read.csv(in_path, colClasses = "character", na.strings = character(0))
courses$course_number <- as.integer(courses$course_number)
keys <- unique(paste(courses$center, courses$patient_id, sep = "/"))

reason <- character(0); direction <- character(0); responder <- logical(0)
for (key in keys) {
  rows <- courses[paste(courses$center, courses$patient_id, sep = "/") == key, ]
  rows <- rows[order(rows$course_number), ]
  s <- NA
  for (i in seq_len(nrow(rows))) {
    if (rows$course_type[i] == "switch") { s <- rows$course_number[i]; break }
  }
  if (is.na(s)) next
  second <- rows[rows$course_number == s, ]
  first <- rows[rows$course_number == s - 1, ]
  r <- first$stop_reason
  reason <- c(reason, if (r == "") "unknown" else r)
  direction <- c(direction, paste0(first$agent, ARROW, second$agent))
  responder <- c(responder, second$response %in% c("CR", "R"))
}

num <- function(x) if (is.null(x) || is.na(x)) "null" else sprintf("%.17g", x)

levels_json <- function(values, order) {
  present <- c(order[order %in% values], sort(setdiff(unique(values), order)))
  items <- character(0)
  for (level in present) {
    n <- sum(values == level); hits <- sum(responder[values == level])
    ci <- binom.test(hits, n)$conf.int
    items <- c(items, sprintf(
      '{"level": "%s", "n": %d, "responders": %d, "orr": %s, "ci_low": %s, "ci_high": %s}',
      level, n, hits, num(100 * hits / n), num(100 * ci[1]), num(100 * ci[2])))
  }
  paste0("[", paste(items, collapse = ", "), "]")
}

directions <- character(0)
for (a in AGENTS) for (b in AGENTS) if (a != b) directions <- c(directions, paste0(a, ARROW, b))
table <- table(factor(reason, levels = unique(reason)), factor(responder, levels = c(FALSE, TRUE)))
fisher <- fisher.test(table)$p.value

json <- sprintf('{"switch": {"by_reason": %s, "by_direction": %s, "fisher_p": %s}}\n',
                levels_json(reason, REASONS), levels_json(direction, directions), num(fisher))
con <- file(out_path, open = "w", encoding = "UTF-8")
writeLines(json, con, sep = "")
close(con)
