/*
 * record_script.h - record_script.lua as Redis runs it (made by
 * lib/make-script.sh from record_contract.h and the script)
 */
#ifndef WAYPOST_RECORD_SCRIPT_H
#define WAYPOST_RECORD_SCRIPT_H

extern const char record_script[];

#endif
