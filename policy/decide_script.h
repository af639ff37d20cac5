/*
 * decide_script.h - decide_script.lua, as a string (made by make)
 */
#ifndef WAYPOST_DECIDE_SCRIPT_H
#define WAYPOST_DECIDE_SCRIPT_H

extern const char decide_script[];

#endif
