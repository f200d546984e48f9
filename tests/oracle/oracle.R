# R oracle for the flagship analysis plan (flagship-study.md, Analyses 1-8).
#
# Computes, independently of the Python code, the statistics of the analysis plan on the committed
# fixture cohorts (tests/fixtures/analysis/<cohort>/) and writes tests/oracle/oracle_values.json,
# whose tree mirrors results.json (same keys, same list order), so the Python tests compare every
# leaf. Regenerate (from the repository root; needs R with survival, brglm2, jsonlite):
#
#   Rscript tests/oracle/oracle.R tests/fixtures/analysis tests/oracle/oracle_values.json
#
# Debian packages: r-base-core r-cran-survival r-cran-brglm2 r-cran-jsonlite.
# Methods: binom.test (Clopper-Pearson), exact McNemar as binom.test on the discordant pairs,
# fisher.test, wilcox.test (defaults), survfit(conf.type = "log-log") + quantile(), quantile(type
# = 7); Firth: brglm2 (type = "AS_mean") for the fit, and the logistf convention for tests and
# profile CIs written out in firth.R (restricted fits keep the full design's Jeffreys penalty).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
source(file.path(dirname(script), "firth.R"))  # firth_model, nullable

args <- commandArgs(trailingOnly = TRUE)
fixtures <- if (length(args) >= 1) args[1] else "tests/fixtures/analysis"
out_path <- if (length(args) >= 2) args[2] else "tests/oracle/oracle_values.json"

MONTH <- 365.25 / 12
MIN_AGE <- 18
SELECTION_P <- 0.20
RESPONSES <- c("CR", "R", "NR", "NE")
AE_EVENTS <- c("infusion_reaction", "infection", "severe_infection", "hypogammaglobulinemia",
               "neutropenia", "hbv_reactivation", "pml", "serum_sickness", "thrombosis", "death",
               "other")

read_table <- function(folder, name) {
  path <- file.path(folder, paste0(name, ".csv"))
  if (!file.exists(path)) return(NULL)
  read.csv(path, colClasses = "character", na.strings = "")
}
as_bool <- function(x) ifelse(is.na(x), NA, x == "true")
num <- function(x) as.numeric(x)

prop <- function(n, d) {
  if (d == 0) return(list(n = n, denominator = 0, pct = NULL, ci_low = NULL, ci_high = NULL))
  ci <- binom.test(n, d)$conf.int
  list(n = n, denominator = d, pct = 100 * n / d, ci_low = 100 * ci[1], ci_high = 100 * ci[2])
}
quant <- function(x) {
  x <- x[!is.na(x)]
  if (length(x) == 0) return(list(median = NULL, q1 = NULL, q3 = NULL))
  q <- unname(quantile(x, c(0.25, 0.5, 0.75), type = 7))
  list(median = q[2], q1 = q[1], q3 = q[3])
}

# ---- population ------------------------------------------------------------------------------

load_cohort <- function(folder) {
  courses <- read_table(folder, "courses")
  baseline <- read_table(folder, "patient_baseline")
  retreatment <- read_table(folder, "retreatment")
  courses$key <- paste(courses$center, courses$patient_id, sep = "/")
  baseline$key <- paste(baseline$center, baseline$patient_id, sep = "/")
  retreatment$key <- paste(retreatment$center, retreatment$patient_id, sep = "/")
  n_courses <- table(courses$key)
  c1 <- courses[courses$course_number == "1", ]
  c2 <- courses[courses$course_number == "2", ]
  p <- baseline[order(baseline$center, baseline$patient_id, method = "radix"), ]
  p$n_courses <- as.integer(n_courses[p$key])
  p$age1 <- num(c1$age_at_course[match(p$key, c1$key)])
  has_count <- as_bool(p$has_count_after_course1)
  # exclusion: first reason that holds, in the order of the plan
  reason <- ifelse(p$n_courses < 2, "< 2 courses",
            ifelse(p$age1 < MIN_AGE, "age < 18 at course 1",
            ifelse(!has_count, "no platelet count after course 1", NA)))
  flow <- list(
    screened = nrow(p),
    included = sum(is.na(reason)),
    excluded = list(
      "< 2 courses" = sum(reason == "< 2 courses", na.rm = TRUE),
      "age < 18 at course 1" = sum(reason == "age < 18 at course 1", na.rm = TRUE),
      "no platelet count after course 1" =
        sum(reason == "no platelet count after course 1", na.rm = TRUE)))
  inc <- p[is.na(reason), ]
  pick <- function(tab, col) tab[[col]][match(inc$key, tab$key)]
  for (col in c("start_date", "regimen", "age_at_course", "prior_lines", "splenectomy_before",
                "response", "time_to_response_days", "duration_days", "duration_censored",
                "cr_duration_days", "cr_duration_censored")) {
    inc[[paste0(col, "_1")]] <- pick(c1, col)
    inc[[paste0(col, "_2")]] <- pick(c2, col)
  }
  for (col in c("response_similar_or_better", "duration_similar_or_longer",
                "duration_course1_days")) {
    inc[[col]] <- pick(retreatment, col)
  }
  list(flow = flow, patients = inc, courses = courses[courses$key %in% inc$key, ],
       folder = folder)
}

responder <- function(r) !is.na(r) & r %in% c("CR", "R")

# ---- Kaplan-Meier ------------------------------------------------------------------------------

km <- function(days, censored) {
  d <- num(days)
  e <- !as_bool(censored)
  at_risk <- list(m6 = sum(d >= 6 * MONTH), m12 = sum(d >= 12 * MONTH),
                  m24 = sum(d >= 24 * MONTH), m36 = sum(d >= 36 * MONTH))
  if (length(d) == 0) {
    return(list(n = 0, events = 0, median_days = NULL, ci_low_days = NULL, ci_high_days = NULL,
                at_risk = at_risk))
  }
  fit <- survfit(Surv(d, e) ~ 1, conf.type = "log-log")
  q <- quantile(fit, 0.5)
  list(n = length(d), events = sum(e), median_days = nullable(q$quantile),
       ci_low_days = nullable(q$lower), ci_high_days = nullable(q$upper), at_risk = at_risk)
}

duration_course <- function(p, k, cr = FALSE) {
  r <- p[[paste0("response_", k)]]
  members <- if (cr) !is.na(r) & r == "CR" else responder(r)
  prefix <- if (cr) "cr_duration" else "duration"
  out <- km(p[[paste0(prefix, "_days_", k)]][members], p[[paste0(prefix, "_censored_", k)]][members])
  c(list(course = k), out)
}

# ---- predictors --------------------------------------------------------------------------------

factor_frame <- function(p) {
  r1 <- responder(p$response_1)
  regimen <- p$regimen_2
  regimen[!is.na(regimen) & regimen == "unknown"] <- NA
  start1 <- as.Date(p$start_date_1)
  start2 <- as.Date(p$start_date_2)
  data.frame(
    outcome = as.integer(responder(p$response_2)),
    response_course1 = as.numeric(r1),
    sex = as.numeric(p$sex == "M"),
    itp_type = as.numeric(p$itp_type == "secondary"),
    age_course2 = num(p$age_at_course_2),
    itp_duration_course2_months = as.numeric(start2 - as.Date(p$diagnosis_date)) / MONTH,
    prior_lines_course2 = num(p$prior_lines_2),
    splenectomy_before_course2 = as.numeric(as_bool(p$splenectomy_before_2)),
    regimen_course2 = regimen,
    interval_months = as.numeric(start2 - start1) / MONTH,
    duration_course1_days = ifelse(r1, num(p$duration_course1_days), NA),
    stringsAsFactors = FALSE)
}

FACTORS <- list(
  response_course1 = "categorical", sex = "categorical", itp_type = "categorical",
  age_course2 = "continuous", itp_duration_course2_months = "continuous",
  prior_lines_course2 = "continuous", splenectomy_before_course2 = "categorical",
  regimen_course2 = "categorical", interval_months = "continuous",
  duration_course1_days = "continuous")

univariable <- function(frame) {
  lapply(names(FACTORS), function(name) {
    keep <- !is.na(frame[[name]])
    x <- frame[[name]][keep]
    y <- frame$outcome[keep]
    if (FACTORS[[name]] == "continuous") {
      a <- x[y == 1]
      b <- x[y == 0]
      p <- if (length(a) == 0 || length(b) == 0) NA else
        suppressWarnings(wilcox.test(a, b)$p.value)
      list(factor = name, test = "wilcoxon", p = nullable(p), n = length(x))
    } else {
      tab <- table(factor(x), factor(y, levels = c(0, 1)))
      p <- if (nrow(tab) < 2) NA else fisher.test(tab)$p.value
      list(factor = name, test = "fisher", p = nullable(p), n = length(x))
    }
  })
}

multivariable <- function(frame, uni) {
  selected <- c()
  for (u in uni) {
    if (!is.null(u$p) && u$p < SELECTION_P && u$factor != "duration_course1_days") {
      selected <- c(selected, u$factor)
    }
  }
  if (length(selected) == 0) return(list())
  data <- frame[complete.cases(frame[, c("outcome", selected)]), c("outcome", selected)]
  cols <- list(outcome = data$outcome)
  for (name in selected) {
    if (name == "regimen_course2") {
      levels <- sort(unique(data[[name]]), method = "radix")
      for (lv in setdiff(levels, "375x4")) {
        cols[[paste0(name, "=", lv)]] <- as.numeric(data[[name]] == lv)
      }
    } else {
      cols[[name]] <- data[[name]]
    }
  }
  design <- as.data.frame(cols, check.names = FALSE)
  firth_model(design, setdiff(names(design), "outcome"))
}

# ---- the plan ----------------------------------------------------------------------------------

course_block <- function(p, k) {
  r <- p[[paste0("response_", k)]]
  counts <- sapply(RESPONSES, function(l) sum(!is.na(r) & r == l))
  c(list(course = k), as.list(counts),
    list(orr = prop(counts[["CR"]] + counts[["R"]], nrow(p)), cr = prop(counts[["CR"]], nrow(p))))
}

retreatment_block <- function(p) {
  r1 <- responder(p$response_1)
  r2 <- responder(p$response_2)
  b <- sum(r1 & !r2)
  c <- sum(!r1 & r2)
  mcnemar <- if (b + c == 0) 1 else binom.test(b, b + c, 0.5)$p.value
  similar <- as_bool(p$response_similar_or_better)
  longer <- as_bool(p$duration_similar_or_longer)
  nr1 <- !is.na(p$response_1) & p$response_1 == "NR"
  ne1 <- !is.na(p$response_1) & p$response_1 == "NE"
  list(
    orr_course2 = prop(sum(r2), nrow(p)),
    cr_course2 = prop(sum(!is.na(p$response_2) & p$response_2 == "CR"), nrow(p)),
    response2_among_responders1 = prop(sum(r2 & r1), sum(r1)),
    response2_among_nonresponders1 = prop(sum(r2 & nr1), sum(nr1)),
    response2_among_ne1 = prop(sum(r2 & ne1), sum(ne1)),
    response_similar_or_better = prop(sum(similar, na.rm = TRUE), sum(!is.na(similar))),
    duration_similar_or_longer = prop(sum(longer, na.rm = TRUE), sum(!is.na(longer))),
    mcnemar_p = mcnemar, mcnemar_b = b, mcnemar_c = c)
}

safety_block <- function(cohort) {
  ae <- read_table(cohort$folder, "ae_by_course")
  p <- cohort$patients
  ae$key <- paste(ae$center, ae$patient_id, sep = "/")
  ae <- ae[ae$key %in% p$key & !is.na(ae$course_number), ]
  numbers <- sort(unique(c(1, 2, as.integer(cohort$courses$course_number))))
  by_course <- lapply(numbers, function(k) {
    d <- sum(as.integer(cohort$courses$course_number) == k)
    a <- ae[as.integer(ae$course_number) == k, ]
    who <- function(mask) prop(length(unique(a$key[mask])), d)
    by_event <- lapply(AE_EVENTS, function(e) who(a$event == e))
    names(by_event) <- AE_EVENTS
    list(course = k, patients = d, n_events = nrow(a),
         patients_with_event = who(rep(TRUE, nrow(a))), by_event = by_event,
         infections = who(a$event %in% c("infection", "severe_infection")),
         grade_3_or_more = who(!is.na(a$ctcae_grade) & num(a$ctcae_grade) >= 3),
         serious = who(!is.na(a$serious) & a$serious == "true"))
  })
  list(by_course = by_course, deaths = prop(sum(!is.na(p$death_date)), nrow(p)))
}

agreement_block <- function(cohort) {
  ic <- read_table(cohort$folder, "investigator_comparison")
  if (is.null(ic)) return(NULL)
  ic$key <- paste(ic$center, ic$patient_id, sep = "/")
  ic <- ic[ic$key %in% cohort$patients$key & !is.na(ic$investigator_response), ]
  tab <- table(factor(ic$investigator_response, RESPONSES), factor(ic$derived_response, RESPONSES))
  n <- sum(tab)
  po <- sum(diag(tab)) / n
  pe <- sum(rowSums(tab) * colSums(tab)) / n^2
  list(n_courses = n, agreement = prop(sum(diag(tab)), n), kappa = (po - pe) / (1 - pe),
       table = unname(lapply(seq_len(4), function(i) as.integer(tab[i, ]))))
}

sensitivity_row <- function(name, p) {
  r <- retreatment_block(p)
  frame <- factor_frame(p)
  firth <- firth_model(frame, "response_course1")[[1]]
  list(name = name, n_patients = nrow(p), orr_course2 = r$orr_course2, cr_course2 = r$cr_course2,
       orr_course1 = course_block(p, 1)$orr,
       response2_among_responders1 = r$response2_among_responders1,
       response2_among_nonresponders1 = r$response2_among_nonresponders1,
       response_similar_or_better = r$response_similar_or_better,
       duration_similar_or_longer = r$duration_similar_or_longer, mcnemar_p = r$mcnemar_p,
       median_duration_course1_days = duration_course(p, 1)$median_days,
       median_duration_course2_days = duration_course(p, 2)$median_days,
       response_course1_odds_ratio = firth$odds_ratio, response_course1_p = firth$p)
}

plan <- function(folder) {
  cohort <- load_cohort(folder)
  p <- cohort$patients
  frame <- factor_frame(p)
  uni <- univariable(frame)
  cross <- table(factor(p$response_1, RESPONSES), factor(p$response_2, RESPONSES))
  firth1 <- firth_model(frame, "response_course1")[[1]]
  ne_dropped <- p[!(p$response_1 %in% "NE" | p$response_2 %in% "NE"), ]
  sensitivity <- list(sensitivity_row("primary", p), sensitivity_row("ne_excluded", ne_dropped))
  for (run in c("confirm_28_days", "window_90_days")) {
    if (dir.exists(file.path(folder, run))) {
      sensitivity[[length(sensitivity) + 1]] <-
        sensitivity_row(run, load_cohort(file.path(folder, run))$patients)
    }
  }
  result <- list(
    flow = cohort$flow,
    cohort = list(
      n_patients = nrow(p),
      n_centers = length(unique(p$center)),
      primary_itp = prop(sum(p$itp_type == "primary"), nrow(p)),
      age_at_diagnosis = quant(num(p$age_at_diagnosis)),
      age_at_first_course = quant(num(p$age_at_course_1)),
      prior_lines = quant(num(p$prior_lines_1)),
      sex = list(F = prop(sum(p$sex == "F"), nrow(p)), M = prop(sum(p$sex == "M"), nrow(p))),
      itp_duration_course1_months =
        quant(as.numeric(as.Date(p$start_date_1) - as.Date(p$diagnosis_date)) / MONTH),
      interval_months = quant(as.numeric(as.Date(p$start_date_2) - as.Date(p$start_date_1)) / MONTH),
      followup_months = quant(num(p$followup_days) / MONTH)),
    courses = list(course_block(p, 1), course_block(p, 2)),
    cross_table = list(counts = unname(lapply(seq_len(4), function(i) as.integer(cross[i, ])))),
    retreatment = retreatment_block(p),
    time_to_response = lapply(1:2, function(k) {
      c(list(course = k),
        quant(num(p[[paste0("time_to_response_days_", k)]])[responder(p[[paste0("response_", k)]])]))
    }),
    duration = list(by_course = lapply(1:2, function(k) duration_course(p, k)),
                    cr_by_course = lapply(1:2, function(k) duration_course(p, k, cr = TRUE))),
    predictors = list(
      univariable = uni,
      response_course1_firth = firth1[c("odds_ratio", "ci_low", "ci_high", "p", "coef")],
      multivariable = multivariable(frame, uni)),
    safety = safety_block(cohort),
    sensitivity = sensitivity)
  agreement <- agreement_block(cohort)
  if (!is.null(agreement)) result$investigator_agreement <- agreement
  result
}

cohorts <- strsplit(Sys.getenv("COHORTS", "separation,ties,realistic"), ",")[[1]]
values <- lapply(cohorts, function(name) plan(file.path(fixtures, name)))
names(values) <- cohorts
values <- c(list(generated_by = paste("tests/oracle/oracle.R with", R.version.string,
                                      "survival", as.character(packageVersion("survival")),
                                      "brglm2", as.character(packageVersion("brglm2")))),
            values)
writeLines(toJSON(values, auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                  pretty = TRUE), out_path)
