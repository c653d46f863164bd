"""Rendering for Telegram: callback data (`callbacks`), inline keyboards
(`keyboards`), what the bot says to citizens (`citizen_texts`) and in the staff
group (`staff_texts`), what both share (`shared_texts`), and the supervisors'
report (`report_texts`, `report_chart`, `report_files`); and the checks of
`content validate` that compose the answers as sent (`composed_checks`)."""
