"""Target letters (目标责任书, 附件2 年度目标任务): entered per unit and year, scored target by target."""
