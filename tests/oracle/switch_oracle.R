# R oracle for the switch analyses of the tpo-ra-switch plan (protocols.md, The tpo-ra-switch
# analysis plan): response to the second agent by the stop reason of the first and by switch
# direction, with Clopper-Pearson 95% CIs (binom.test), and Fisher's exact test across reasons
# (fisher.test); and Analysis 5 of the plan (flagship-study.md, Analysis 5 and Exact definitions)
# over the protocol's predictors: the univariable screen (fisher.test, wilcox.test by default), the
# Firth model on the factors with p < 0.20 and the Firth model on response to course 1 alone
# (firth.R: brglm2 type = "AS_mean", penalized LR p-values and profile penalized-likelihood CIs in
# the logistf convention). Reads the committed fixture tests/fixtures/switch/ (courses.csv,
# patients.csv) and writes tests/oracle/switch_oracle_values.json, whose tree mirrors results.json's
# "switch" and "predictors" objects. Regenerate (from the repository root; needs r-base-core,
# r-cran-brglm2, r-cran-jsonlite):
#
#   Rscript tests/oracle/switch_oracle.R tests/fixtures/switch tests/oracle/switch_oracle_values.json
#
# The pair of a patient is found here with a plain loop, independently of the Python code: the first
# course whose type is "switch" (s) and course s - 1; CR or R at course s is a response. Factors
# (coded as the plan's Exact definitions): response_course1 = CR or R at course s - 1 (NE and an
# empty response: 0); stop_reason_course1 = the stop reason of course s - 1 (empty: unknown),
# reference inefficacy; direction = "agent(s-1)->agent(s)", reference its most frequent level (ties:
# the first in code-point order); sex M = 1; itp_type secondary = 1; age_course2 = age at course s;
# itp_duration_course2_months = (start of s - diagnosis) / (365.25/12); prior_lines_course2 and
# splenectomy_before_course2 at course s. A categorical term is "factor=level", levels in code-point
# order.

suppressPackageStartupMessages(library(jsonlite))
script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
source(file.path(dirname(script), "firth.R"))  # firth_model, nullable

args <- commandArgs(trailingOnly = TRUE)
fixture <- if (length(args) >= 1) args[1] else "tests/fixtures/switch"
out_path <- if (length(args) >= 2) args[2] else "tests/oracle/switch_oracle_values.json"

REASONS <- c("inefficacy", "loss_of_response", "fluctuation", "adverse_event",
             "patient_preference", "remission", "other", "unknown")
AGENTS <- c("eltrombopag", "romiplostim", "avatrombopag")
ARROW <- "\u2192"
MONTH <- 365.25 / 12
SELECTION_P <- 0.20
# the protocol's design.predictors (src/itpcohort/protocols/builtin/tpo-ra-switch.toml), in order
FACTORS <- list(
  response_course1 = "categorical", stop_reason_course1 = "categorical",
  direction = "categorical", sex = "categorical", itp_type = "categorical",
  age_course2 = "continuous", itp_duration_course2_months = "continuous",
  prior_lines_course2 = "continuous", splenectomy_before_course2 = "categorical")
REFERENCE <- list(stop_reason_course1 = "inefficacy", direction = NA)  # NA: the most frequent

courses <- read.csv(file.path(fixture, "courses.csv"), colClasses = "character",
                    na.strings = character(0))
patients <- read.csv(file.path(fixture, "patients.csv"), colClasses = "character",
                     na.strings = character(0))
courses$course_number <- as.integer(courses$course_number)
keys <- unique(paste(courses$center, courses$patient_id, sep = "/"))

pairs <- NULL
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
  who <- patients[paste(patients$center, patients$patient_id, sep = "/") == key, ]
  pairs <- rbind(pairs, data.frame(
    reason = if (first$stop_reason == "") "unknown" else first$stop_reason,
    direction = paste0(first$agent, ARROW, second$agent),
    responder = second$response %in% c("CR", "R"),
    response_course1 = as.numeric(first$response %in% c("CR", "R")),
    sex = as.numeric(who$sex == "M"),
    itp_type = as.numeric(who$itp_type == "secondary"),
    age_course2 = as.numeric(second$age_at_course),
    itp_duration_course2_months =
      as.numeric(as.Date(second$start_date) - as.Date(who$diagnosis_date)) / MONTH,
    prior_lines_course2 = as.numeric(second$prior_lines),
    splenectomy_before_course2 = as.numeric(second$splenectomy_before == "true"),
    stringsAsFactors = FALSE))
}
responder <- pairs$responder

# ---- by reason, by direction, Fisher across reasons ------------------------------------------

levels_of <- function(values, order) {
  present <- c(order[order %in% values], sort(setdiff(unique(values), order), method = "radix"))
  lapply(present, function(level) {
    n <- sum(values == level); hits <- sum(responder[values == level])
    ci <- binom.test(hits, n)$conf.int
    list(level = level, n = n, responders = hits, orr = 100 * hits / n,
         ci_low = 100 * ci[1], ci_high = 100 * ci[2])
  })
}

directions <- character(0)
for (a in AGENTS) for (b in AGENTS) if (a != b) directions <- c(directions, paste0(a, ARROW, b))
reason_table <- table(factor(pairs$reason, levels = unique(pairs$reason)),
                      factor(responder, levels = c(FALSE, TRUE)))
switch_block <- list(by_reason = levels_of(pairs$reason, REASONS),
                     by_direction = levels_of(pairs$direction, directions),
                     fisher_p = fisher.test(reason_table)$p.value)

# ---- Analysis 5 over the protocol's predictors -------------------------------------------------

frame <- data.frame(outcome = as.integer(responder), pairs[, setdiff(names(pairs), "responder")],
                    check.names = FALSE, stringsAsFactors = FALSE)
names(frame)[names(frame) == "reason"] <- "stop_reason_course1"

univariable <- lapply(names(FACTORS), function(name) {
  x <- frame[[name]]
  y <- frame$outcome
  if (FACTORS[[name]] == "continuous") {
    p <- suppressWarnings(wilcox.test(x[y == 1], x[y == 0])$p.value)
    list(factor = name, test = "wilcoxon", p = nullable(p), n = length(x))
  } else {
    tab <- table(factor(x), factor(y, levels = c(0, 1)))
    list(factor = name, test = "fisher", p = nullable(fisher.test(tab)$p.value), n = length(x))
  }
})

design_of <- function(selected) {
  cols <- list(outcome = frame$outcome)
  for (name in selected) {
    values <- frame[[name]]
    if (!is.character(values)) { cols[[name]] <- values; next }
    levels <- sort(unique(values), method = "radix")
    reference <- REFERENCE[[name]]
    if (is.na(reference)) {
      counts <- table(values)[levels]
      reference <- levels[which(counts == max(counts))[1]]
    }
    for (lv in setdiff(levels, reference)) cols[[paste0(name, "=", lv)]] <- as.numeric(values == lv)
  }
  as.data.frame(cols, check.names = FALSE)
}

selected <- character(0)
for (u in univariable) if (!is.null(u$p) && u$p < SELECTION_P) selected <- c(selected, u$factor)
design <- design_of(selected)
multivariable <- firth_model(design, setdiff(names(design), "outcome"))
firth1 <- firth_model(design_of("response_course1"), "response_course1")[[1]]

values <- list(
  generated_by = paste("tests/oracle/switch_oracle.R with", R.version.string, "brglm2",
                       as.character(packageVersion("brglm2"))),
  switch = switch_block,
  predictors = list(
    univariable = univariable,
    selected = selected,
    multivariable = multivariable,
    response_course1_firth = firth1[c("odds_ratio", "ci_low", "ci_high", "p", "coef")]))
writeLines(enc2utf8(as.character(toJSON(values, auto_unbox = TRUE, digits = NA, null = "null",
                                        na = "null", pretty = TRUE))),
           file(out_path, encoding = "UTF-8"))
